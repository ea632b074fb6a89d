package dev.schemagate.liquibase;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import javax.sql.DataSource;

import dev.schemagate.gate.SchemaPosition;
import dev.schemagate.gate.SchemaPosition.ChangesetRef;
import dev.schemagate.gate.Tables;
import liquibase.ChecksumVersion;
import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.RuntimeEnvironment;
import liquibase.Scope;
import liquibase.analytics.configuration.AnalyticsArgs;
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
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.exception.LiquibaseException;
import liquibase.integration.spring.SpringLiquibase;
import liquibase.integration.spring.SpringResourceAccessor;
import liquibase.precondition.Precondition;
import liquibase.precondition.PreconditionLogic;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.DirectFieldAccessor;

/**
 * Tells, without Liquibase's lock and without writing anything, whether the database
 * holds every changeset a {@link SpringLiquibase} bean would apply: the changelog is read
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

	private final SpringLiquibase liquibase;

	// the application's own, kept before the gate leaves contract changesets out at start
	private final @Nullable String labelFilter;

	private @Nullable Requirement requirement;

	UpToDateCheck(SpringLiquibase liquibase) {
		this.liquibase = liquibase;
		this.labelFilter = liquibase.getLabelFilter();
	}

	/**
	 * Checks the database on a session that is left as it was found. The changelog is read
	 * on the first check only, so that a check while waiting costs one query.
	 * @param session a session in auto-commit
	 * @return the schema's position when it is up to date, empty otherwise
	 * @throws Exception if the changelog or the database cannot be read
	 */
	synchronized Optional<SchemaPosition> check(Connection session) throws Exception {
		Requirement requirement = decidableRequirement(session);
		if (requirement == null) {
			return Optional.empty();
		}
		String changelogTable = tableName(this.liquibase.getDatabaseChangeLogTable(), "DATABASECHANGELOG");
		if (!Tables.exists(session, changelogTable)) {
			return Optional.empty();
		}
		List<RanChangeSet> applied = applied(session, changelogTable);
		return inScope(() -> compare(requirement, applied));
	}

	/**
	 * Names the changesets this instance requires that the database lacks, on a session
	 * that is left as it was found.
	 * @param session a session in auto-commit
	 * @return the missing changesets as {@code id (author)}, empty when none are or when it
	 * cannot be told without the lock
	 * @throws Exception if the changelog or the database cannot be read
	 */
	synchronized List<String> missing(Connection session) throws Exception {
		Requirement requirement = decidableRequirement(session);
		if (requirement == null) {
			return List.of();
		}
		String changelogTable = tableName(this.liquibase.getDatabaseChangeLogTable(), "DATABASECHANGELOG");
		List<RanChangeSet> applied = Tables.exists(session, changelogTable) ? applied(session, changelogTable) : List.of();
		return requirement.required()
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
			this.requirement = inScope(() -> requirement(session));
		}
		return this.requirement;
	}

	// the changesets required, read on the first call, or null when it takes Liquibase
	// under the lock to tell
	private @Nullable Requirement decidableRequirement(Connection session) throws Exception {
		String undecidable = undecidableSetting();
		if (undecidable == null) {
			undecidable = read(session).undecidable();
		}
		if (undecidable != null) {
			logger.debug("Leaving the up-to-date check to Liquibase under the lock: " + undecidable);
			return null;
		}
		return this.requirement;
	}

	// as SpringLiquibase runs it: files a changeset names are read through the scope, and its
	// analytics setting holds here too
	private <T> T inScope(Scope.ScopedRunnerWithReturn<T> task) throws Exception {
		return inScope(this.liquibase, task);
	}

	static <T> T inScope(SpringLiquibase liquibase, Scope.ScopedRunnerWithReturn<T> task) throws Exception {
		Map<String, Object> scope = new HashMap<>();
		scope.put(Scope.Attr.resourceAccessor.name(), new SpringResourceAccessor(liquibase.getResourceLoader()));
		if (liquibase.getAnalyticsEnabled() != null) {
			scope.put(AnalyticsArgs.ENABLED.getKey(), liquibase.getAnalyticsEnabled());
		}
		return Scope.child(scope, task);
	}

	// what needs no lock: the changesets this instance requires, with their checksums
	private Requirement requirement(Connection session) throws Exception {
		// Liquibase turns auto-commit off on the connection it is given: give it one that
		// cannot, and cannot be closed, and leave the session as it was
		Database database = DatabaseFactory.getInstance()
			.findCorrectDatabaseImplementation(new JdbcConnection(readOnlyView(session)));
		if (this.liquibase.getDefaultSchema() != null) {
			database.setDefaultSchemaName(this.liquibase.getDefaultSchema());
		}
		Liquibase reader = new Liquibase(this.liquibase.getChangeLog(), Scope.getCurrentScope().getResourceAccessor(),
				database);
		setChangeLogParameters(this.liquibase, reader);
		DatabaseChangeLog changeLog = reader.getDatabaseChangeLog();
		Contexts contexts = new Contexts(this.liquibase.getContexts());
		List<ChangeSet> required = select(changeLog, database, contexts, this.liquibase.getLabelFilter());
		List<ChangeSet> selected = Objects.equals(this.liquibase.getLabelFilter(), this.labelFilter) ? required
				: select(changeLog, database, contexts, this.labelFilter);
		if (hasPreconditions(changeLog.getPreconditions())) {
			return Requirement.undecidable("changelog preconditions", selected, changeLog.getChangeSets());
		}
		Set<String> seen = new HashSet<>();
		for (ChangeSet changeSet : required) {
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
		return new Requirement(required, selected, changeLog.getChangeSets(), null);
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

	private Optional<SchemaPosition> compare(Requirement requirement, List<RanChangeSet> applied) {
		int currentVersion = ChecksumVersion.latest().getVersion();
		for (ChangeSet changeSet : requirement.required()) {
			RanChangeSet ran = applied.stream().filter((row) -> row.isSameAs(changeSet)).findFirst().orElse(null);
			CheckSum stored = (ran != null) ? ran.getLastCheckSum() : null;
			if (stored == null || stored.getVersion() != currentVersion || !changeSet.isCheckSumValid(stored)) {
				return Optional.empty();
			}
		}
		int unknown = (int) applied.stream()
			.filter((row) -> requirement.all().stream().noneMatch(row::isSameAs))
			.count();
		List<ChangesetRef> refs = requirement.required()
			.stream()
			.map((changeSet) -> new ChangesetRef(changeSet.getId(), changeSet.getAuthor(), changeSet.getFilePath()))
			.toList();
		return Optional.of(new SchemaPosition(refs.isEmpty() ? null : refs.get(refs.size() - 1).id(), 0, unknown,
				refs, LiquibaseMigration.refs(requirement.all())));
	}

	/**
	 * The changesets this instance requires, read from its changelog once.
	 *
	 * @param required the changesets its contexts, labels and database select, in order
	 * @param all every changeset of the changelog
	 * @param undecidable why the check is left to Liquibase under the lock, if it is
	 */
	// required: what this start applies; selected: the same with the application's own label
	// filter, contract changesets included
	private record Requirement(List<ChangeSet> required, List<ChangeSet> selected, List<ChangeSet> all,
			@Nullable String undecidable) {

		static Requirement undecidable(String reason, List<ChangeSet> selected, List<ChangeSet> all) {
			return new Requirement(List.of(), selected, all, reason);
		}

	}

	// an included changelog adds its own container, empty or not: look for real preconditions
	private static boolean hasPreconditions(@Nullable Precondition precondition) {
		if (precondition instanceof PreconditionLogic logic) {
			return logic.getNestedPreconditions().stream().anyMatch(UpToDateCheck::hasPreconditions);
		}
		return precondition != null;
	}

	private @Nullable String undecidableSetting() {
		if (!hasField("parameters") || !hasField("rollbackFile")) {
			return "a SpringLiquibase whose parameters and rollback file cannot be read";
		}
		if (this.liquibase.isDropFirst()) {
			return "drop-first";
		}
		if (this.liquibase.isClearCheckSums()) {
			return "clear-checksums";
		}
		if (field("rollbackFile") != null) {
			return "a rollback file";
		}
		if (this.liquibase.getTag() != null) {
			return "a tag";
		}
		if (this.liquibase.isTestRollbackOnUpdate()) {
			return "test-rollback-on-update";
		}
		return null;
	}

	// as SpringLiquibase gives its own Liquibase the parameters it keeps without a getter
	static void setChangeLogParameters(SpringLiquibase liquibase, Liquibase target) {
		@SuppressWarnings("unchecked")
		Map<String, String> parameters = (Map<String, String>) new DirectFieldAccessor(liquibase)
			.getPropertyValue("parameters");
		if (parameters != null) {
			parameters.forEach(target::setChangeLogParameter);
		}
	}

	// SpringLiquibase keeps these without getters
	private @Nullable Object field(String name) {
		return new DirectFieldAccessor(this.liquibase).getPropertyValue(name);
	}

	private boolean hasField(String name) {
		return new DirectFieldAccessor(this.liquibase).isReadableProperty(name);
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

	private String tableName(@Nullable String table, String fallback) {
		String name = (table != null) ? table : fallback;
		String schema = (this.liquibase.getLiquibaseSchema() != null) ? this.liquibase.getLiquibaseSchema()
				: this.liquibase.getDefaultSchema();
		return (schema != null) ? schema + "." + name : name;
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

	// a view of the session on which auto-commit, closing and transactions are no-ops
	private static Connection readOnlyView(Connection session) {
		return (Connection) Proxy.newProxyInstance(UpToDateCheck.class.getClassLoader(),
				new Class<?>[] { Connection.class }, (proxy, method, args) -> switch (method.getName()) {
					case "setAutoCommit", "close", "commit", "rollback" -> null;
					case "getAutoCommit" -> true;
					default -> {
						try {
							yield method.invoke(session, args);
						}
						catch (java.lang.reflect.InvocationTargetException ex) {
							throw ex.getTargetException();
						}
					}
				});
	}

}
