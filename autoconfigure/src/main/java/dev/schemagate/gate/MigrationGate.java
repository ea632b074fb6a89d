package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;

import javax.sql.DataSource;

import dev.schemagate.database.GateDatabase;
import dev.schemagate.database.GateDatabases;
import dev.schemagate.database.UnsupportedDatabaseException;
import dev.schemagate.status.ChangesetRun;
import dev.schemagate.status.ForeignLock;
import dev.schemagate.status.GateListener;
import dev.schemagate.status.LeaderProgress;
import dev.schemagate.status.LockHolder;
import dev.schemagate.status.SchemaPosition;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.core.NestedExceptionUtils;

/**
 * The gate: lets one instance of a fleet at a time migrate a database, and keeps the
 * others waiting until it is done.
 * <p>
 * One pass reads top to bottom: take the fence (a PostgreSQL advisory lock, waiting for
 * whoever holds it), make sure the gate's tables exist, take the lease (the Spring
 * Integration lock row, removing one left by a dead leader), publish this instance as the
 * leader, migrate on the fenced session, then let go of the lease and the fence in that
 * order. A pass that loses its database connection is repeated with backoff until the
 * retry deadline.
 */
public final class MigrationGate {

	private static final Log logger = LogFactory.getLog(MigrationGate.class);

	private final DataSource dataSource;

	private final GateSettings settings;

	private final Instance instance;

	private final GateListener listener;

	private final LockTable lockTable;

	private final LeaderTable leaderTable;

	private final MigrationHistory history;

	private final ShutdownSignal shutdown;

	private final DataSource asking;

	private final WaitingSettings waiting;

	// told on the first session: the database the gate speaks to
	private volatile @Nullable GateDatabase database;

	/**
	 * Creates a gate for one database that nothing stops while it runs.
	 * @param dataSource the data source of the database to migrate, with the migration
	 * credentials
	 * @param settings how to lock, wait and retry
	 * @param instance this JVM
	 * @param listener hears what the gate does
	 */
	public MigrationGate(DataSource dataSource, GateSettings settings, Instance instance, GateListener listener) {
		this(dataSource, settings, instance, listener, ShutdownSignal.never());
	}

	/**
	 * Creates a gate for one database.
	 * @param dataSource the data source of the database to migrate, with the migration
	 * credentials
	 * @param settings how to lock, wait and retry
	 * @param instance this JVM
	 * @param listener hears what the gate does
	 * @param shutdown tells the gate to stop, as the JVM is to stop
	 */
	public MigrationGate(DataSource dataSource, GateSettings settings, Instance instance, GateListener listener,
			ShutdownSignal shutdown) {
		this(dataSource, dataSource, settings, WaitingSettings.DEFAULTS, instance, listener, shutdown);
	}

	/**
	 * Creates a gate for one database whose waiting instances, past the listeners, ask
	 * through a pool.
	 * @param dataSource the data source of the database to migrate, with the migration
	 * credentials: the fence's session is opened there
	 * @param asking where an instance that waits without a session of its own borrows a
	 * connection for each ask, such as the application's pool, even behind a pooler in
	 * transaction mode
	 * @param settings how to lock, wait and retry
	 * @param waiting how many wait with a session of their own, and how often the others ask
	 * @param instance this JVM
	 * @param listener hears what the gate does
	 * @param shutdown tells the gate to stop, as the JVM is to stop
	 */
	public MigrationGate(DataSource dataSource, DataSource asking, GateSettings settings, WaitingSettings waiting,
			Instance instance, GateListener listener, ShutdownSignal shutdown) {
		this.asking = asking;
		this.waiting = waiting;
		this.shutdown = shutdown;
		this.dataSource = dataSource;
		this.settings = settings;
		this.instance = instance;
		this.listener = listener;
		this.lockTable = new LockTable(settings.tablePrefix());
		this.leaderTable = new LeaderTable(settings.gateTablePrefix());
		this.history = new MigrationHistory(settings.gateTablePrefix());
	}

	/**
	 * Runs the migration once this instance holds the gate.
	 * @param migration the migration
	 * @throws Exception when the migration fails, the wait times out, or the database
	 * stays out of reach past the retry deadline
	 */
	public void run(Migration migration) throws Exception {
		Instant start = Instant.now();
		Instant waitDeadline = start.plus(this.settings.waitTimeout());
		Instant retryDeadline = start.plus(this.settings.retryTimeout());
		Duration backoff = this.settings.retryInitialInterval();
		this.listener.starting();
		try (Connection connection = this.dataSource.getConnection()) {
			// before the lock-free check, which would let a migrated database of any kind pass
			database(connection);
			if (upToDate(migration, connection, start)) {
				return;
			}
		}
		catch (UnsupportedDatabaseException ex) {
			this.listener.failed(ex);
			throw ex;
		}
		catch (SQLException ex) {
			// the locked pass retries a database out of reach, and reports it
			logger.debug("Could not check whether the schema is up to date", ex);
		}
		while (true) {
			try {
				this.shutdown.check("before taking the schema migration lock");
				runOnce(migration, start, waitDeadline);
				return;
			}
			catch (StartCancelledException ex) {
				throw stopped(ex);
			}
			catch (Exception ex) {
				if (this.shutdown.requested()) {
					// what failed was the wait or the retry that the shutdown cut short
					throw stopped(new StartCancelledException("waiting for the schema migration lock", ex));
				}
				// a changeset's own SQL may fail with such a state too (ALTER DATABASE of none)
				Optional<ConnectionRejectedException> rejected = (ex instanceof ChangesetFailedException)
						? Optional.empty() : ConnectionRejectedException.of(ex);
				if (rejected.isPresent()) {
					this.listener.failed(rejected.get());
					throw rejected.get();
				}
				if (!ConnectionLoss.causedBy(ex)) {
					this.listener.failed(ex);
					throw ex;
				}
				if (Instant.now().plus(backoff).isAfter(retryDeadline)) {
					DatabaseUnavailableException unavailable = new DatabaseUnavailableException(
							this.settings.retryTimeout(), ex);
					this.listener.failed(unavailable);
					throw unavailable;
				}
				logger.warn("Lost the database connection while migrating ("
						+ NestedExceptionUtils.getMostSpecificCause(ex).getMessage() + "); trying again in "
						+ backoff.toMillis() + "ms");
				this.listener.retrying(ex, backoff);
				if (this.shutdown.await(backoff)) {
					throw stopped(new StartCancelledException("retrying to reach the database"));
				}
				backoff = min(backoff.multipliedBy(2), this.settings.retryMaxInterval());
			}
		}
	}

	private StartCancelledException stopped(StartCancelledException stopped) {
		logger.info(stopped.getMessage());
		this.listener.failed(stopped);
		return stopped;
	}

	// read-only: any number of instances ask at once, before and while they wait; a failure
	// leaves the decision to the locked pass
	private boolean upToDate(Migration migration, Connection session, Instant start) {
		Optional<SchemaPosition> position;
		try {
			position = migration.upToDate(session);
		}
		catch (Exception ex) {
			logger.debug("Could not tell whether the schema is up to date", ex);
			return false;
		}
		position.ifPresent((upToDate) -> {
			logger.info("The schema holds every changeset up to " + upToDate.changelogLastId() + ": starting");
			this.listener.upToDate(upToDate, Duration.between(start, Instant.now()));
		});
		return position.isPresent();
	}

	private void runOnce(Migration migration, Instant start, Instant waitDeadline) throws Exception {
		try {
			runPass(migration, start, waitDeadline);
		}
		catch (LockWaitTimeoutException ex) {
			throw ex.withLeader(leaderProgressOrEmpty());
		}
	}

	private Optional<LeaderProgress> leaderProgressOrEmpty() {
		try {
			return leaderProgress();
		}
		catch (SQLException ex) {
			return Optional.empty();
		}
	}

	private void runPass(Migration migration, Instant start, Instant waitDeadline) throws Exception {
		long lockId = Fence.lockId(lockName());
		// what the leaders this instance waits for record from now on
		long historyMark;
		GateDatabase database;
		try (Connection connection = this.dataSource.getConnection()) {
			database = database(connection);
			historyMark = this.history.mark(connection, this.settings.key());
		}
		LeaderWatch watch = new LeaderWatch(database, lockId, this.settings, this.listener);
		WaitingPoll poll = new WaitingPoll(database, lockId, this.lockTable, this.leaderTable, this.settings.region(),
				this.settings.key(), new GateDatabase.Fleet(this.settings.gateTablePrefix() + "INSTANCE",
						this.settings.key(), this.waiting.fleetWindow()));
		Optional<Fence> acquired = Fence.acquire(
				new Fence.Request(database, this.dataSource, lockName(), this.instance.applicationName(),
						this.settings.timeToLive().multipliedBy(2)),
				new Fence.Waiting(waitDeadline, poll, LeaderWatch.pollInterval(this.settings.timeToLive()),
						this::reportWaiting, watch, (waitingSession) -> !upToDate(migration, waitingSession, start),
						this.shutdown, this.asking, this.waiting));
		if (acquired.isEmpty()) {
			return;
		}
		this.listener.fenceAcquired();
		this.shutdown.leading(true);
		try (Fence fence = acquired.get()) {
			// the leader this instance waited for, or one that came and went between this
			// instance's first look and its taking the fence, may have applied everything
			if (upToDate(migration, fence.connection(), start)) {
				return;
			}
			Connection session = fence.connection();
			ensureTables(database, session);
			this.lockTable.removeAbandoned(session, this.settings.region(), this.settings.key());
			Instant acquiredAt = Instant.now();
			// a changeset that failed for a leader this instance waited for is not run again
			List<MigrationHistory.Entry> failedForLeaders = fence.waited()
					? this.history.failedSince(session, this.settings.key(), historyMark) : List.of();
			Progress progress = new Progress(databaseUser(session), failedForLeaders);
			// a leader that cannot renew for the time-to-live may have been replaced: it gives up
			// its fenced session, so a migration blocked on a cut-off connection fails and retries
			try (Lease lease = Lease.acquire(this.dataSource, this.settings, this.instance.id(), fence::abort)) {
				this.leaderTable.claim(database, this.dataSource, this.settings.key(), this.instance);
				try {
					this.listener.acquired(Duration.between(start, acquiredAt));
					migrateUnlessCancelled(migration, fence, progress);
				}
				finally {
					releaseLeaderRow();
				}
			}
			catch (Exception ex) {
				if (this.shutdown.requested()) {
					throw progress.stopped(ex);
				}
				if (progress.leaderFailure != null) {
					throw progress.leaderFailure;
				}
				// a migration tool may report a lost connection only through the failure of its
				// own clean-up; whether the fenced session survived tells for sure
				if (!fence.isAlive()) {
					throw new SQLRecoverableException("Lost the fenced database session while migrating", ex);
				}
				if (progress.failedChangeset != null && !(ex instanceof LockTimeoutException)) {
					throw new ChangesetFailedException(progress.failedChangeset, ex);
				}
				throw ex;
			}
			if (this.shutdown.requested()) {
				// the schema is migrated, but the application is not to start
				throw progress.stopped(null);
			}
			this.listener.completed(Duration.between(acquiredAt, Instant.now()));
		}
		finally {
			this.shutdown.leading(false);
		}
	}

	// a changeset that waits for a lock longer than the lock timeout is rolled back and tried
	// again, rather than queueing every later query on its table behind its own wait
	private void migrateUnlessCancelled(Migration migration, Fence fence, Progress progress) throws Exception {
		Duration lockTimeout = this.settings.lockTimeout();
		long pid = fence.limitWaits(lockTimeout, this.settings.statementTimeout());
		// a changeset outside a transaction is never cancelled: it would leave its partial
		// effect, such as an invalid index, behind
		try (ShutdownSignal.Registration abort = this.shutdown.onRequest(() -> {
			ChangesetRun running = progress.running;
			if (this.shutdown.abortsChangeset() && running != null && running.transactional()) {
				logger.info("Cancelling " + running + ", as the JVM is shutting down; it is rolled back and another "
						+ "instance runs it again");
				fence.cancelStatement(this.dataSource, pid);
			}
		})) {
			migrateWithinLockTimeout(migration, fence, progress, lockTimeout, pid);
		}
	}

	private void migrateWithinLockTimeout(Migration migration, Fence fence, Progress progress, Duration lockTimeout,
			long pid) throws Exception {
		if (lockTimeout.isZero()) {
			migration.migrate(fence.dataSource(), progress);
			return;
		}
		Duration backoff = this.settings.retryInitialInterval();
		try (BlockerWatch blockers = BlockerWatch.start(fence.database(), this.dataSource, pid, lockTimeout)) {
			for (int attempt = 1;; attempt++) {
				try {
					migration.migrate(fence.dataSource(), progress);
					return;
				}
				catch (Exception ex) {
					ChangesetRun changeset = progress.failedChangeset;
					boolean repeatable = changeset == null || changeset.transactional();
					if (!LockTimeoutException.causedBy(ex) || !repeatable || !fence.isAlive()) {
						throw ex;
					}
					if (attempt > this.settings.lockRetries()) {
						throw new LockTimeoutException(changeset, lockTimeout, attempt, blockers.lastSeen(), ex);
					}
					String reason = ((changeset != null) ? changeset : "The migration") + " waited longer than "
							+ lockTimeout.toMillis() + "ms for a lock"
							+ blockers.lastSeen().stream().findFirst().map((blocker) -> " held by " + blocker).orElse("");
					logger.warn(reason + "; rolled back, trying again in " + backoff.toMillis() + "ms (retry " + attempt
							+ " of " + this.settings.lockRetries() + ")");
					this.listener.lockTimedOut(changeset, reason, backoff);
					this.shutdown.sleep(backoff, "before trying " + changeset + " again");
					backoff = min(backoff.multipliedBy(2), this.settings.retryMaxInterval());
					progress.failedChangeset = null;
					blockers.forget();
				}
			}
		}
	}

	/**
	 * Reads who holds the gate now, for the health indicator and the endpoint.
	 * @return the holding session, if any
	 * @throws SQLException if the database fails
	 */
	public Optional<LockHolder> currentHolder() throws SQLException {
		try (Connection connection = this.dataSource.getConnection()) {
			return Fence.holder(database(connection), connection, lockName());
		}
	}

	/**
	 * Reads what the current leader publishes about its migration.
	 * @return the leader's progress, if one leads
	 * @throws SQLException if the database fails
	 */
	public Optional<LeaderProgress> leaderProgress() throws SQLException {
		try (Connection connection = this.dataSource.getConnection()) {
			return this.leaderTable.read(database(connection), connection, this.settings.key());
		}
	}

	/**
	 * Returns the history of migrations of this database.
	 * @return the history
	 */
	public MigrationHistory history() {
		return this.history;
	}

	/**
	 * Returns the data source the gate locks and migrates.
	 * @return the migration data source
	 */
	public DataSource dataSource() {
		return this.dataSource;
	}

	/**
	 * Returns the data source that instances waiting without a session of their own ask
	 * through.
	 * @return the asking data source, the migration data source when nothing else was given
	 */
	public DataSource askingDataSource() {
		return this.asking;
	}

	private String lockName() {
		return "schemagate/" + this.settings.region() + "/" + this.settings.key();
	}

	// told on the first session, which every changeset comes after
	private GateDatabase knownDatabase() {
		GateDatabase database = this.database;
		if (database == null) {
			throw new IllegalStateException("No session has told the database yet");
		}
		return database;
	}

	// the implementation that speaks to the database, told on the first session
	private GateDatabase database(Connection session) throws SQLException {
		GateDatabase database = this.database;
		if (database == null) {
			database = GateDatabases.of(session);
			this.database = database;
		}
		return database;
	}

	private void reportWaiting(Optional<LockHolder> holder, Optional<LeaderProgress> progress, Duration waited) {
		logger.info("Waiting for the schema migration lock '" + this.settings.key() + "' for " + waited.toSeconds()
				+ "s, held by " + holder.map(LockHolder::toString).orElse("a session that has just let it go")
				+ progress.map((leader) -> ": " + leader).orElse(""));
		this.listener.waiting(holder, progress, waited);
	}

	// tries every table before failing, so that one start names all there is to create
	private void ensureTables(GateDatabase database, Connection session) {
		GateTableUnavailableException missing = null;
		List<BiConsumer<GateDatabase, Connection>> tables = List.of(this.lockTable::ensureExists,
				this.leaderTable::ensureExists, this.history::ensureExists);
		for (BiConsumer<GateDatabase, Connection> table : tables) {
			try {
				table.accept(database, session);
			}
			catch (GateTableUnavailableException ex) {
				missing = (missing != null) ? missing.and(ex) : ex;
			}
		}
		if (missing != null) {
			throw missing;
		}
	}

	private void releaseLeaderRow() {
		try {
			this.leaderTable.release(this.dataSource, this.settings.key(), this.instance);
		}
		catch (RuntimeException ex) {
			// the next leader replaces the row
			logger.debug("Could not remove this instance's row from " + this.leaderTable.tableName(), ex);
		}
	}

	private static String databaseUser(Connection session) throws SQLException {
		try (Statement statement = session.createStatement();
				ResultSet result = statement.executeQuery("SELECT current_user")) {
			result.next();
			return result.getString(1);
		}
	}

	private static Duration min(Duration a, Duration b) {
		return (a.compareTo(b) <= 0) ? a : b;
	}

	/**
	 * Logs each changeset, publishes it for waiting instances and records it in the
	 * history. Publishing is best effort: the migration itself must not fail for it.
	 */
	private final class Progress implements MigrationProgress {

		private final String databaseUser;

		private final List<MigrationHistory.Entry> failedForLeaders;

		private final List<ChangesetRun> applied = new ArrayList<>();

		private Instant changesetStart = Instant.now();

		private int pending = -1;

		private @Nullable ChangesetRun failedChangeset;

		private volatile @Nullable ChangesetRun running;

		private @Nullable ChangesetFailedException leaderFailure;

		Progress(String databaseUser, List<MigrationHistory.Entry> failedForLeaders) {
			this.databaseUser = databaseUser;
			this.failedForLeaders = failedForLeaders;
		}

		// what this leader finished, and what it leaves to the next
		StartCancelledException stopped(@Nullable Exception cause) {
			String done = this.applied.isEmpty() ? "having applied no changeset"
					: "having applied " + this.applied.stream().map(ChangesetRun::id).toList();
			int left = (this.pending >= 0) ? this.pending - this.applied.size() : -1;
			String rest = (left > 0) ? "; " + left + " changeset" + ((left != 1) ? "s" : "")
					+ " left to the other instances" : "";
			return (cause != null) ? new StartCancelledException("migrating, " + done + rest, cause)
					: new StartCancelledException("migrating, " + done + rest);
		}

		@Override
		public void waitingForForeignLock(ForeignLock lock, Duration waited) {
			logger.info("Waiting " + waited.toSeconds() + "s for " + lock);
			MigrationGate.this.listener.foreignLockHeld(lock, waited);
		}

		@Override
		public void inspected(SchemaPosition position) {
			this.pending = position.pending();
			if (position.pending() > 0) {
				logger.info(position.pending() + " changesets pending, up to " + position.changelogLastId());
			}
			MigrationGate.this.listener.inspected(position);
		}

		@Override
		public void started(ChangesetRun changeset) {
			MigrationGate.this.shutdown.check("before " + changeset);
			for (MigrationHistory.Entry failed : this.failedForLeaders) {
				if (failed.changesetId().equals(changeset.id()) && failed.author().equals(changeset.author())
						&& failed.changelog().equals(changeset.changelog())) {
					this.leaderFailure = new ChangesetFailedException(changeset, failed);
					throw this.leaderFailure;
				}
			}
			this.running = changeset;
			this.changesetStart = Instant.now();
			logger.info(changeset + " started");
			publish(() -> MigrationGate.this.leaderTable.running(MigrationGate.this.knownDatabase(),
					MigrationGate.this.dataSource, MigrationGate.this.settings.key(), MigrationGate.this.instance,
					changeset));
			MigrationGate.this.listener.changesetStarted(changeset);
		}

		@Override
		public void applied(ChangesetRun changeset) {
			Duration took = Duration.between(this.changesetStart, Instant.now());
			this.running = null;
			this.applied.add(changeset);
			logger.info(changeset + " finished in " + seconds(took) + " s");
			record(changeset, took, MigrationHistory.Outcome.APPLIED, null);
			MigrationGate.this.listener.changesetApplied(changeset, took);
		}

		@Override
		public void failed(ChangesetRun changeset, Throwable failure) {
			Duration took = Duration.between(this.changesetStart, Instant.now());
			this.running = null;
			this.failedChangeset = changeset;
			logger.warn(changeset + " failed after " + seconds(took) + " s: " + failure.getMessage());
			// a failure the next leader would repeat stops the instances waiting now
			boolean transientFailure = MigrationGate.this.shutdown.requested() || TransientFailure.causedBy(failure);
			record(changeset, took,
					transientFailure ? MigrationHistory.Outcome.FAILED_TRANSIENT : MigrationHistory.Outcome.FAILED,
					failure);
			MigrationGate.this.listener.changesetFailed(changeset, failure);
		}

		private void record(ChangesetRun changeset, Duration took, MigrationHistory.Outcome outcome,
				@Nullable Throwable failure) {
			publish(() -> MigrationGate.this.history.record(MigrationGate.this.dataSource,
					MigrationGate.this.settings.key(), MigrationGate.this.instance, this.databaseUser, changeset,
					this.changesetStart, took, outcome, failure));
		}

		private void publish(Runnable write) {
			try {
				write.run();
			}
			catch (RuntimeException ex) {
				logger.warn("Could not publish the migration's progress: " + ex.getMessage());
			}
		}

		private static String seconds(Duration duration) {
			return String.format(java.util.Locale.ROOT, "%.2f", duration.toMillis() / 1000.0);
		}

	}

}
