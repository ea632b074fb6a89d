package dev.schemagate.liquibase;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import dev.schemagate.check.ChangesetReview;
import dev.schemagate.gate.FencedDataSource;
import dev.schemagate.gate.FleetRegistry.Member;
import dev.schemagate.gate.FleetRegistry.Registration;
import dev.schemagate.gate.Migration;
import dev.schemagate.gate.MigrationProgress;
import dev.schemagate.gate.SchemaPosition;
import dev.schemagate.gate.SchemaPosition.ChangesetRef;
import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.RanChangeSet;
import liquibase.changelog.visitor.ChangeExecListener;
import liquibase.changelog.visitor.DefaultChangeExecListener;
import liquibase.exception.LiquibaseException;
import liquibase.exception.UnexpectedLiquibaseException;
import liquibase.integration.spring.Customizer;
import liquibase.integration.spring.SpringLiquibase;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.DirectFieldAccessor;

/**
 * Runs a {@link SpringLiquibase} bean, with every setting Spring Boot gave it, on the
 * fenced session of the gate, reporting each changeset as it runs.
 */
public final class LiquibaseMigration implements Migration {

	private final SpringLiquibase liquibase;

	private final Duration foreignLockTimeout;

	private final UpToDateCheck upToDateCheck;

	private final @Nullable RollbackRecords rollbackRecords;

	private final @Nullable ChangesetReview review;

	private final @Nullable ChangesetGuard guard;

	private final @Nullable DowngradeHold hold;

	/**
	 * Creates the migration of one Liquibase bean.
	 * @param liquibase the bean
	 * @param foreignLockTimeout how long to wait for Liquibase's lock while a process
	 * outside the fleet may hold it
	 */
	public LiquibaseMigration(SpringLiquibase liquibase, Duration foreignLockTimeout) {
		this(liquibase, foreignLockTimeout, null);
	}

	/**
	 * Creates the migration of one Liquibase bean that records each changeset's rollback
	 * and rolls back, newest first, the changesets a newer version applied.
	 * @param liquibase the bean
	 * @param foreignLockTimeout how long to wait for Liquibase's lock while a process
	 * outside the fleet may hold it
	 * @param rollbackTable the table the rollbacks are recorded in, {@code null} to neither
	 * record nor downgrade
	 */
	public LiquibaseMigration(SpringLiquibase liquibase, Duration foreignLockTimeout, @Nullable String rollbackTable) {
		this(liquibase, foreignLockTimeout, rollbackTable, null);
	}

	/**
	 * Creates the migration of one Liquibase bean that records each changeset's rollback
	 * and rolls back, newest first, the changesets a newer version applied, and whose
	 * pending changesets are reviewed before the first of them is applied.
	 * @param liquibase the bean
	 * @param foreignLockTimeout how long to wait for Liquibase's lock while a process
	 * outside the fleet may hold it
	 * @param rollbackTable the table the rollbacks are recorded in, {@code null} to neither
	 * record nor downgrade
	 * @param review the review of the pending changesets, {@code null} for none
	 */
	public LiquibaseMigration(SpringLiquibase liquibase, Duration foreignLockTimeout, @Nullable String rollbackTable,
			@Nullable ChangesetReview review) {
		this(liquibase, foreignLockTimeout, rollbackTable, review, null);
	}

	/**
	 * Creates the migration of one Liquibase bean that records each changeset's rollback
	 * and rolls back, newest first, the changesets a newer version applied, whose pending
	 * changesets are reviewed before the first of them is applied, and each of whose
	 * changesets a guard may stop inside its transaction.
	 * @param liquibase the bean
	 * @param foreignLockTimeout how long to wait for Liquibase's lock while a process
	 * outside the fleet may hold it
	 * @param rollbackTable the table the rollbacks are recorded in, {@code null} to neither
	 * record nor downgrade
	 * @param review the review of the pending changesets, {@code null} for none
	 * @param guard the guard of each changeset, {@code null} for none
	 */
	public LiquibaseMigration(SpringLiquibase liquibase, Duration foreignLockTimeout, @Nullable String rollbackTable,
			@Nullable ChangesetReview review, @Nullable ChangesetGuard guard) {
		this(liquibase, foreignLockTimeout, rollbackTable, review, guard, null);
	}

	/**
	 * Creates the migration of one Liquibase bean that records each changeset's rollback
	 * and rolls back, newest first, the changesets a newer version applied once no live
	 * instance of the fleet has them in its changelog, whose pending changesets are
	 * reviewed before the first of them is applied, and each of whose changesets a guard
	 * may stop inside its transaction.
	 * @param liquibase the bean
	 * @param foreignLockTimeout how long to wait for Liquibase's lock while a process
	 * outside the fleet may hold it
	 * @param rollbackTable the table the rollbacks are recorded in, {@code null} to neither
	 * record nor downgrade
	 * @param review the review of the pending changesets, {@code null} for none
	 * @param guard the guard of each changeset, {@code null} for none
	 * @param hold who holds a downgrade back, {@code null} to roll back at once
	 */
	public LiquibaseMigration(SpringLiquibase liquibase, Duration foreignLockTimeout, @Nullable String rollbackTable,
			@Nullable ChangesetReview review, @Nullable ChangesetGuard guard, @Nullable DowngradeHold hold) {
		this.guard = guard;
		this.hold = hold;
		this.liquibase = liquibase;
		this.foreignLockTimeout = foreignLockTimeout;
		this.upToDateCheck = new UpToDateCheck(liquibase);
		this.rollbackRecords = (rollbackTable != null) ? new RollbackRecords(rollbackTable) : null;
		this.review = review;
	}

	/**
	 * Returns the data source Liquibase migrates, where the gate keeps its lock.
	 * @return the migration data source
	 */
	public DataSource dataSource() {
		return this.liquibase.getDataSource();
	}

	/**
	 * Returns the lock key for this bean when none is configured: the changelog table
	 * Liquibase records into, so that two applications sharing a database in different
	 * schemas do not wait for each other.
	 * @return the default lock key
	 */
	public String defaultLockKey() {
		return defaultLockKey(this.liquibase);
	}

	/**
	 * Returns the lock key for a Liquibase bean when none is configured: the changelog table
	 * Liquibase records into, so that two applications sharing a database in different
	 * schemas do not wait for each other.
	 * @param liquibase the bean
	 * @return the default lock key
	 */
	public static String defaultLockKey(SpringLiquibase liquibase) {
		String table = (liquibase.getDatabaseChangeLogTable() != null) ? liquibase.getDatabaseChangeLogTable()
				: "DATABASECHANGELOG";
		String schema = (liquibase.getLiquibaseSchema() != null) ? liquibase.getLiquibaseSchema()
				: liquibase.getDefaultSchema();
		return ((schema != null) ? schema + "." + table : table).toLowerCase(Locale.ROOT);
	}

	/**
	 * Reads what the fleet registry records of this instance's changelog: its last
	 * changeset, its contract changesets and all its changesets. The changelog is read once, for this and the
	 * up-to-date check.
	 * @return the registration
	 * @throws Exception if the changelog or the database cannot be read
	 */
	public Registration registration() throws Exception {
		List<ChangeSet> selected = this.upToDateCheck.selected(dataSource());
		String head = selected.isEmpty() ? null : selected.get(selected.size() - 1).getId();
		return new Registration(head,
				selected.stream().filter(ContractChangesets::isContract).map(ContractChangesets::key).toList(),
				selected.stream().map(ContractChangesets::key).toList());
	}

	/**
	 * Returns the contract changesets of the changelog that this instance's contexts and
	 * labels select.
	 * @return the contract changesets, in changelog order
	 * @throws Exception if the changelog or the database cannot be read
	 */
	public List<ChangesetRef> contracts() throws Exception {
		return refs(this.upToDateCheck.selected(dataSource()).stream().filter(ContractChangesets::isContract).toList());
	}

	/**
	 * Reads the contract changesets of the changelog, as this instance's contexts and labels
	 * select them, that the database lacks.
	 * @return the pending contract changesets, in changelog order
	 * @throws Exception if the changelog or the database cannot be read
	 */
	public List<ChangesetRef> pendingContracts() throws Exception {
		List<ChangesetRef> contracts = contracts();
		return contracts.isEmpty() ? contracts : new ChangelogTable(this.liquibase).missing(contracts);
	}

	/**
	 * Returns a label filter that selects what the given one selects, except contract
	 * changesets.
	 * @param labelFilter the filter, {@code null} or empty for none
	 * @return the filter without contract changesets
	 */
	public static String withoutContracts(@Nullable String labelFilter) {
		return ContractChangesets.excluding(labelFilter);
	}

	/**
	 * Tells whether a changeset is a contract changeset, labelled {@code contract}.
	 * @param changeSet the changeset
	 * @return whether it is
	 */
	public static boolean isContract(ChangeSet changeSet) {
		return ContractChangesets.isContract(changeSet);
	}

	@Override
	public Optional<SchemaPosition> upToDate(Connection session) throws Exception {
		Optional<SchemaPosition> position = this.upToDateCheck.check(session);
		// changesets of a newer version are rolled back under the lock, once no live
		// instance has them in its changelog; until then this instance serves on them
		if (this.rollbackRecords != null && position.map((found) -> found.unknown() > 0).orElse(false)) {
			return downgradeHeldBack(session, position.get()) ? position : Optional.empty();
		}
		return position;
	}

	private boolean downgradeHeldBack(Connection session, SchemaPosition position) {
		if (this.hold == null) {
			return false;
		}
		List<ChangesetRef> ahead = new ChangelogTable(this.liquibase).unknown(session, position.known());
		try {
			List<Member> holders = this.hold.holders(session,
					ahead.stream().map((changeset) -> changeset.id() + ":" + changeset.author()).toList());
			if (!holders.isEmpty()) {
				this.hold.heldBack(ahead, holders, null);
			}
			return !holders.isEmpty();
		}
		catch (SQLException | IllegalStateException ex) {
			// the locked pass asks again, and leaves the changesets in place if it cannot tell
			return false;
		}
	}

	@Override
	public List<String> missing(Connection session) throws Exception {
		return this.upToDateCheck.missing(session);
	}

	@Override
	public void migrate(FencedDataSource fenced, MigrationProgress progress) throws Exception {
		ChangelogLock changelogLock = new ChangelogLock(this.liquibase, fenced);
		changelogLock.awaitFree(this.foreignLockTimeout, progress);
		DataSource original = this.liquibase.getDataSource();
		Customizer<Liquibase> customizer = this.liquibase.getCustomizer();
		Connection session = fenced.getConnection();
		if (this.rollbackRecords != null) {
			this.rollbackRecords.ensureTable(session);
		}
		ChangesetTransaction transaction = new ChangesetTransaction(session, this.rollbackRecords, this.guard);
		this.liquibase.setDataSource(transaction.dataSource());
		this.liquibase.setCustomizer((liquibase) -> {
			// what is pending is read under Liquibase's own lock, as its update reads it
			changelogLock.take(liquibase);
			if (this.rollbackRecords != null) {
				downgrade(liquibase, session);
			}
			List<ChangeSet> pending = pending(liquibase);
			progress.inspected(position(liquibase, pending));
			if (this.review != null) {
				// before the first changeset, so that refusing them leaves nothing applied
				this.review.review(pending);
			}
			ChangesetProgressListener reporting = new ChangesetProgressListener(progress, pending);
			DefaultChangeExecListener gateListeners = new DefaultChangeExecListener(transaction, reporting);
			liquibase.setChangeExecListener(gateListeners);
			if (customizer != null) {
				customizer.customize(liquibase);
				ChangeExecListener own = changeExecListener(liquibase);
				if (own != null && own != gateListeners) {
					// a listener the application's customizer sets runs after the gate's
					liquibase.setChangeExecListener(new DefaultChangeExecListener(transaction, reporting, own));
				}
			}
		});
		try {
			this.liquibase.afterPropertiesSet();
		}
		finally {
			transaction.rollBackHeld();
			this.liquibase.setCustomizer(customizer);
			this.liquibase.setDataSource(original);
			changelogLock.releaseIfStamped();
		}
	}

	private void downgrade(Liquibase liquibase, Connection session) {
		try {
			new Downgrade(this.rollbackRecords).run(liquibase, session, this.hold);
		}
		catch (LiquibaseException | SQLException ex) {
			throw new UnexpectedLiquibaseException(ex);
		}
	}

	// Liquibase has a setter for its listener but no getter
	private static @Nullable ChangeExecListener changeExecListener(Liquibase liquibase) {
		DirectFieldAccessor fields = new DirectFieldAccessor(liquibase);
		return fields.isReadableProperty("changeExecListener")
				&& fields.getPropertyValue("changeExecListener") instanceof ChangeExecListener listener ? listener
						: null;
	}

	private static SchemaPosition position(Liquibase liquibase, List<ChangeSet> pending) {
		try {
			List<ChangeSet> all = liquibase.getDatabaseChangeLog().getChangeSets();
			// indexed by id and author, then matched as Liquibase matches: it runs inside the gate
			Map<String, List<RanChangeSet>> ran = liquibase.getDatabase()
				.getRanChangeSetList()
				.stream()
				.collect(Collectors.groupingBy((applied) -> applied.getId() + ":" + applied.getAuthor()));
			Map<String, List<ChangeSet>> known = all.stream()
				.collect(Collectors.groupingBy((changeSet) -> changeSet.getId() + ":" + changeSet.getAuthor()));
			Set<ChangeSet> pendingSet = new HashSet<>(pending);
			List<ChangesetRef> required = all.stream()
				.filter((changeSet) -> pendingSet.contains(changeSet) || ran
					.getOrDefault(changeSet.getId() + ":" + changeSet.getAuthor(), List.of())
					.stream()
					.anyMatch((applied) -> applied.isSameAs(changeSet)))
				.map((changeSet) -> new ChangesetRef(changeSet.getId(), changeSet.getAuthor(),
						changeSet.getFilePath()))
				.toList();
			int unknown = (int) ran.values()
				.stream()
				.flatMap(List::stream)
				.filter((applied) -> known.getOrDefault(applied.getId() + ":" + applied.getAuthor(), List.of())
					.stream()
					.noneMatch(applied::isSameAs))
				.count();
			// the last changeset this instance requires: contexts and labels may leave out later ones
			String last = required.isEmpty() ? null : required.get(required.size() - 1).id();
			return new SchemaPosition(last, pending.size(), unknown, required, refs(all));
		}
		catch (LiquibaseException ex) {
			throw new UnexpectedLiquibaseException(ex);
		}
	}

	static List<ChangesetRef> refs(List<ChangeSet> changeSets) {
		return changeSets.stream()
			.map((changeSet) -> new ChangesetRef(changeSet.getId(), changeSet.getAuthor(), changeSet.getFilePath()))
			.toList();
	}

	private List<ChangeSet> pending(Liquibase liquibase) {
		try {
			return liquibase.listUnrunChangeSets(new Contexts(this.liquibase.getContexts()),
					new LabelExpression(this.liquibase.getLabelFilter()));
		}
		catch (LiquibaseException ex) {
			throw new UnexpectedLiquibaseException(ex);
		}
	}

}
