package dev.schemagate.liquibase;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import dev.schemagate.check.ChangesetReview;
import dev.schemagate.check.Dialect;
import dev.schemagate.fleet.FleetRegistry.Member;
import dev.schemagate.gate.FencedDataSource;
import dev.schemagate.gate.Migration;
import dev.schemagate.gate.MigrationProgress;
import dev.schemagate.status.SchemaPosition;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import liquibase.Liquibase;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.RanChangeSet;
import liquibase.changelog.visitor.DefaultChangeExecListener;
import liquibase.exception.LiquibaseException;
import liquibase.exception.UnexpectedLiquibaseException;
import org.jspecify.annotations.Nullable;

/**
 * Migrates what one Liquibase bean selects on the fenced session of the gate, with a
 * Liquibase built for the run from the {@link LiquibaseSelection}, reporting each changeset
 * as it runs. The application's bean is never written.
 */
public final class LiquibaseMigration implements Migration {

	private final LiquibaseChangelog changelog;

	private final LiquibaseSelection selection;

	private final ForeignLockWait foreignLockWait;

	private final @Nullable RollbackRecords rollbackRecords;

	private final @Nullable ChangesetReview review;

	private final @Nullable ChangesetGuard guard;

	private final @Nullable DowngradeHold hold;

	/**
	 * Creates the migration of a selection of a Liquibase bean's changelog, which records
	 * each changeset's rollback and rolls back, newest first, the changesets a newer version
	 * applied once no live instance of the fleet has them in its changelog, whose pending
	 * changesets are reviewed before the first of them is applied, and each of whose
	 * changesets a guard may stop inside its transaction.
	 * @param changelog the bean's changelog
	 * @param selection what of it is migrated: the application's selection, or the start's
	 * without contract changesets
	 * @param foreignLockWait how to wait for Liquibase's lock while a process outside the
	 * fleet may hold it
	 * @param rollbackTable the table the rollbacks are recorded in, {@code null} to neither
	 * record nor downgrade
	 * @param review the review of the pending changesets, {@code null} for none
	 * @param guard the guard of each changeset, {@code null} for none
	 * @param hold who holds a downgrade back, {@code null} to roll back at once
	 */
	public LiquibaseMigration(LiquibaseChangelog changelog, LiquibaseSelection selection,
			ForeignLockWait foreignLockWait, @Nullable String rollbackTable, @Nullable ChangesetReview review,
			@Nullable ChangesetGuard guard, @Nullable DowngradeHold hold) {
		this.changelog = changelog;
		this.selection = selection;
		this.foreignLockWait = foreignLockWait;
		this.rollbackRecords = (rollbackTable != null) ? new RollbackRecords(rollbackTable) : null;
		this.review = review;
		this.guard = guard;
		this.hold = hold;
	}

	/**
	 * Returns the changelog this migration applies a selection of.
	 * @return the changelog
	 */
	public LiquibaseChangelog changelog() {
		return this.changelog;
	}

	/**
	 * Returns the data source Liquibase migrates, where the gate keeps its lock.
	 * @return the migration data source
	 */
	public DataSource dataSource() {
		return this.selection.dataSource();
	}

	@Override
	public Optional<SchemaPosition> upToDate(Connection session) throws Exception {
		Optional<SchemaPosition> position = this.changelog.upToDateCheck().check(this.selection, session);
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
		List<ChangesetRef> ahead = new ChangelogTable(this.selection).unknown(session, position.known());
		try {
			List<Member> holders = this.hold.holders(session,
					ahead.stream().map(ChangesetRef::registryKey).toList());
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
		return this.changelog.upToDateCheck().missing(this.selection, session);
	}

	@Override
	public void migrate(FencedDataSource fenced, MigrationProgress progress) throws Exception {
		ChangelogLock changelogLock = new ChangelogLock(this.selection, fenced, this.foreignLockWait);
		changelogLock.awaitFree(progress);
		Connection session = fenced.getConnection();
		if (this.rollbackRecords != null) {
			this.rollbackRecords.ensureTable(session);
		}
		ChangesetTransaction transaction = new ChangesetTransaction(session, this.rollbackRecords, this.guard);
		// reports against what is pending, which is read once Liquibase's lock is taken
		ChangesetProgressListener reporting = new ChangesetProgressListener(progress);
		try {
			this.selection.inScope(() -> {
				this.selection.update(transaction.connection(), (liquibase) -> {
					// what is pending is read under Liquibase's own lock, as its update reads it
					changelogLock.take(liquibase);
					RollbackRecords rollbackRecords = this.rollbackRecords;
					if (rollbackRecords != null) {
						downgrade(liquibase, session, rollbackRecords);
					}
					List<ChangeSet> pending = pending(liquibase);
					progress.inspected(position(liquibase, pending));
					if (this.review != null) {
						// before the first changeset, so that refusing them leaves nothing applied
						this.review.review(pending, Dialect.of(liquibase.getDatabase()));
					}
					reporting.pending(pending);
				}, new DefaultChangeExecListener(transaction, reporting));
				return null;
			});
		}
		finally {
			transaction.rollBackHeld();
			changelogLock.releaseIfStamped();
		}
	}

	private void downgrade(Liquibase liquibase, Connection session, RollbackRecords rollbackRecords) {
		try {
			new Downgrade(rollbackRecords).run(liquibase, session, this.hold);
		}
		catch (LiquibaseException | SQLException ex) {
			throw new UnexpectedLiquibaseException(ex);
		}
	}

	private static SchemaPosition position(Liquibase liquibase, List<ChangeSet> pending) {
		try {
			List<ChangeSet> all = liquibase.getDatabaseChangeLog().getChangeSets();
			// indexed by id and author, then matched as Liquibase matches: it runs inside the gate
			Map<String, List<RanChangeSet>> ran = liquibase.getDatabase()
				.getRanChangeSetList()
				.stream()
				.collect(Collectors.groupingBy((applied) -> ChangesetRef.registryKey(applied.getId(), applied.getAuthor())));
			Map<String, List<ChangeSet>> known = all.stream()
				.collect(Collectors.groupingBy(LiquibaseChangelog::registryKey));
			Set<ChangeSet> pendingSet = new HashSet<>(pending);
			List<ChangesetRef> required = all.stream()
				.filter((changeSet) -> pendingSet.contains(changeSet) || ran
					.getOrDefault(LiquibaseChangelog.registryKey(changeSet), List.of())
					.stream()
					.anyMatch((applied) -> applied.isSameAs(changeSet)))
				.map((changeSet) -> new ChangesetRef(changeSet.getId(), changeSet.getAuthor(),
						changeSet.getFilePath()))
				.toList();
			int unknown = (int) ran.values()
				.stream()
				.flatMap(List::stream)
				.filter((applied) -> known.getOrDefault(ChangesetRef.registryKey(applied.getId(), applied.getAuthor()), List.of())
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
			return liquibase.listUnrunChangeSets(this.selection.contexts(), this.selection.labels());
		}
		catch (LiquibaseException ex) {
			throw new UnexpectedLiquibaseException(ex);
		}
	}

}
