package dev.schemagate.liquibase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.sql.DataSource;

import dev.schemagate.contract.ContractChangesets;
import dev.schemagate.gate.SessionView;
import dev.schemagate.gate.Tables;
import dev.schemagate.status.SchemaPosition;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import liquibase.ChecksumVersion;
import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.RuntimeEnvironment;
import liquibase.change.CheckSum;
import liquibase.changelog.ChangeLogIterator;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.changelog.RanChangeSet;
import liquibase.changelog.filter.ContextChangeSetFilter;
import liquibase.changelog.filter.DbmsChangeSetFilter;
import liquibase.changelog.filter.IgnoreChangeSetFilter;
import liquibase.changelog.filter.LabelChangeSetFilter;
import liquibase.changelog.visitor.ChangeSetVisitor;
import liquibase.database.Database;
import liquibase.exception.LiquibaseException;
import liquibase.precondition.Precondition;
import liquibase.precondition.PreconditionLogic;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Tells, without Liquibase's lock and without writing anything, whether the database
 * holds every changeset a Liquibase bean's {@link LiquibaseSelection} applies: the changelog is read
 * and filtered by contexts, labels and database as Liquibase's update filters it, and each
 * changeset it keeps must be recorded in {@code DATABASECHANGELOG} with a checksum of the
 * current version that matches. Anything Liquibase would act on even then, or check in a
 * way this does not repeat, leaves the answer to Liquibase under the lock:
 * <ul>
 * <li>drop-first, clear-checksums, a rollback file, a tag or a rollback test on update;</li>
 * <li>changelog-level preconditions;</li>
 * <li>a changeset that runs always or on change, or that appears twice;</li>
 * <li>a checksum that is missing, of an older version (Liquibase would rewrite it) or that
 * does not match (Liquibase fails the start, and so must this instance).</li>
 * </ul>
 */
final class UpToDateCheck {

	private static final Log logger = LogFactory.getLog(UpToDateCheck.class);

	// the application's own: the start leaves contract changesets out of what it requires
	private final LiquibaseSelection selection;

	private @Nullable Requirement requirement;

	UpToDateCheck(LiquibaseSelection selection) {
		this.selection = selection;
	}

	/**
	 * Checks the database on a session that is left as it was found. The changelog is read
	 * on the first check only, so that a check while waiting costs one query.
	 * @param selection the selection of the changelog to check for: the application's, or
	 * the start's without contract changesets
	 * @param session a session in auto-commit
	 * @return the schema's position when it is up to date, empty otherwise
	 * @throws Exception if the changelog or the database cannot be read
	 */
	synchronized Optional<SchemaPosition> check(LiquibaseSelection selection, Connection session) throws Exception {
		Requirement requirement = decidableRequirement(session);
		if (requirement == null) {
			return Optional.empty();
		}
		String changelogTable = this.selection.changelogTable();
		if (!Tables.exists(session, changelogTable)) {
			return Optional.empty();
		}
		List<RanChangeSet> applied = applied(session, changelogTable);
		return this.selection.inScope(() -> compare(requirement.required(selection), requirement.all(), applied));
	}

	/**
	 * Names the changesets this instance requires that the database lacks, on a session
	 * that is left as it was found.
	 * @param selection the selection of the changelog to check for
	 * @param session a session in auto-commit
	 * @return the missing changesets as {@code id (author)}, empty when none are or when it
	 * cannot be told without the lock
	 * @throws Exception if the changelog or the database cannot be read
	 */
	synchronized List<String> missing(LiquibaseSelection selection, Connection session) throws Exception {
		Requirement requirement = decidableRequirement(session);
		if (requirement == null) {
			return List.of();
		}
		String changelogTable = this.selection.changelogTable();
		List<RanChangeSet> applied = Tables.exists(session, changelogTable) ? applied(session, changelogTable) : List.of();
		return requirement.required(selection)
			.stream()
			.filter((changeSet) -> applied.stream().noneMatch((row) -> row.isSameAs(changeSet)))
			.map((changeSet) -> changeSet.getId() + " (" + changeSet.getAuthor() + ")")
			.toList();
	}

	/**
	 * Returns the changesets of the changelog that the application's contexts, label filter
	 * and database select, contract changesets included, read once on a session that is
	 * left as it was found; a connection is taken for the first read only.
	 * @param dataSource where the changelog is applied
	 * @return the changesets, in changelog order
	 * @throws Exception if the changelog or the database cannot be read
	 */
	synchronized List<ChangeSet> selected(DataSource dataSource) throws Exception {
		if (this.requirement == null) {
			try (Connection session = dataSource.getConnection()) {
				return read(session).selected();
			}
		}
		return this.requirement.selected();
	}

	private Requirement read(Connection session) throws Exception {
		if (this.requirement == null) {
			this.requirement = this.selection.inScope(() -> requirement(session));
		}
		return this.requirement;
	}

	// the changesets required, read on the first call, or null when it takes Liquibase
	// under the lock to tell
	private @Nullable Requirement decidableRequirement(Connection session) throws Exception {
		String undecidable = this.selection.settingThatActsOnEveryUpdate();
		if (undecidable == null) {
			undecidable = read(session).undecidable();
		}
		if (undecidable != null) {
			logger.debug("Leaving the up-to-date check to Liquibase under the lock: " + undecidable);
			return null;
		}
		return this.requirement;
	}

	// what needs no lock: the changesets this instance requires, with their checksums
	private Requirement requirement(Connection session) throws Exception {
		// Liquibase turns auto-commit off on the connection it is given: give it one that
		// cannot, and cannot be closed, and leave the session as it was
		Database database = this.selection.database(SessionView.of(session)
			.keepingOpen()
			.keepingAutoCommit()
			.reportingAutoCommit()
			.keepingTransactions()
			.connection());
		DatabaseChangeLog changeLog = this.selection.liquibase(database).getDatabaseChangeLog();
		Contexts contexts = this.selection.contexts();
		List<ChangeSet> selected = select(changeLog, database, contexts, this.selection.labelFilter());
		if (hasPreconditions(changeLog.getPreconditions())) {
			return Requirement.undecidable("changelog preconditions", selected, changeLog.getChangeSets());
		}
		Set<String> seen = new HashSet<>();
		for (ChangeSet changeSet : selected) {
			if (changeSet.isAlwaysRun() || changeSet.isRunOnChange()) {
				return Requirement.undecidable(changeSet + " runs always or on change", selected,
						changeLog.getChangeSets());
			}
			if (!seen.add(changeSet.getFilePath() + "::" + changeSet.getId() + "::" + changeSet.getAuthor())) {
				return Requirement.undecidable(changeSet + " appears twice", selected, changeLog.getChangeSets());
			}
			// computed now, while waiting costs nothing, rather than after the leader is done
			changeSet.generateCheckSum(ChecksumVersion.latest());
		}
		return new Requirement(selected, changeLog.getChangeSets(), null);
	}

	private static List<ChangeSet> select(DatabaseChangeLog changeLog, Database database, Contexts contexts,
			@Nullable String labelFilter) throws LiquibaseException {
		LabelExpression labels = new LabelExpression(labelFilter);
		List<ChangeSet> selected = new ArrayList<>();
		new ChangeLogIterator(changeLog, new ContextChangeSetFilter(contexts), new LabelChangeSetFilter(labels),
				new DbmsChangeSetFilter(database), new IgnoreChangeSetFilter())
			.run(collectingInto(selected), new RuntimeEnvironment(database, contexts, labels));
		return selected;
	}

	private Optional<SchemaPosition> compare(List<ChangeSet> required, List<ChangeSet> all,
			List<RanChangeSet> applied) {
		int currentVersion = ChecksumVersion.latest().getVersion();
		for (ChangeSet changeSet : required) {
			RanChangeSet ran = applied.stream().filter((row) -> row.isSameAs(changeSet)).findFirst().orElse(null);
			CheckSum stored = (ran != null) ? ran.getLastCheckSum() : null;
			if (stored == null || stored.getVersion() != currentVersion || !changeSet.isCheckSumValid(stored)) {
				return Optional.empty();
			}
		}
		int unknown = (int) applied.stream().filter((row) -> all.stream().noneMatch(row::isSameAs)).count();
		List<ChangesetRef> refs = required.stream()
			.map((changeSet) -> new ChangesetRef(changeSet.getId(), changeSet.getAuthor(), changeSet.getFilePath()))
			.toList();
		return Optional.of(new SchemaPosition(refs.isEmpty() ? null : refs.get(refs.size() - 1).id(), 0, unknown,
				refs, LiquibaseMigration.refs(all)));
	}

	/**
	 * The changesets of the application's selection, read from its changelog once.
	 *
	 * @param selected the changesets its contexts, labels and database select, contract
	 * changesets included, in order
	 * @param all every changeset of the changelog
	 * @param undecidable why the check is left to Liquibase under the lock, if it is
	 */
	private record Requirement(List<ChangeSet> selected, List<ChangeSet> all, @Nullable String undecidable) {

		static Requirement undecidable(String reason, List<ChangeSet> selected, List<ChangeSet> all) {
			return new Requirement(selected, all, reason);
		}

		// what a run of the selection applies: the start leaves contract changesets out
		List<ChangeSet> required(LiquibaseSelection selection) {
			return selection.leavesContractsOut()
					? this.selected.stream().filter((changeSet) -> !ContractChangesets.isContract(changeSet)).toList()
					: this.selected;
		}

	}

	// an included changelog adds its own container, empty or not: look for real preconditions
	private static boolean hasPreconditions(@Nullable Precondition precondition) {
		if (precondition instanceof PreconditionLogic logic) {
			return logic.getNestedPreconditions().stream().anyMatch(UpToDateCheck::hasPreconditions);
		}
		return precondition != null;
	}

	private List<RanChangeSet> applied(Connection session, String table) throws SQLException {
		List<RanChangeSet> applied = new ArrayList<>();
		try (PreparedStatement statement = session
			.prepareStatement("SELECT FILENAME, ID, AUTHOR, MD5SUM FROM " + table);
				ResultSet result = statement.executeQuery()) {
			while (result.next()) {
				RanChangeSet ran = new RanChangeSet();
				ran.setChangeLog(result.getString(1));
				ran.setStoredChangeLog(result.getString(1));
				ran.setId(result.getString(2));
				ran.setAuthor(result.getString(3));
				ran.setLastCheckSum((result.getString(4) != null) ? CheckSum.parse(result.getString(4)) : null);
				applied.add(ran);
			}
		}
		return applied;
	}

	private static ChangeSetVisitor collectingInto(List<ChangeSet> changeSets) {
		return new ChangeSetVisitor() {

			@Override
			public Direction getDirection() {
				return Direction.FORWARD;
			}

			@Override
			public void visit(ChangeSet changeSet, DatabaseChangeLog databaseChangeLog, Database database,
					Set<liquibase.changelog.filter.ChangeSetFilterResult> filterResults) {
				changeSets.add(changeSet);
			}

		};
	}

}
