package dev.schemagate.gate;

import java.sql.SQLRecoverableException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import javax.sql.DataSource;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The gate: lets one instance of a fleet at a time migrate a database, and keeps the
 * others waiting until it is done.
 * <p>
 * One pass reads top to bottom: take the fence (a PostgreSQL advisory lock, waiting for
 * whoever holds it), make sure the lock table exists, take the lease (the Spring
 * Integration lock row, removing one left by a dead leader), migrate on the fenced
 * session, then let go of the lease and the fence in that order. A pass that loses its
 * database connection is repeated with backoff until the retry deadline.
 */
public final class MigrationGate {

	private static final Log logger = LogFactory.getLog(MigrationGate.class);

	private final DataSource dataSource;

	private final GateSettings settings;

	private final Instance instance;

	private final LockTable lockTable;

	/**
	 * Creates a gate for one database.
	 * @param dataSource the data source of the database to migrate, with the migration
	 * credentials
	 * @param settings how to lock, wait and retry
	 * @param instance this JVM
	 */
	public MigrationGate(DataSource dataSource, GateSettings settings, Instance instance) {
		this.dataSource = dataSource;
		this.settings = settings;
		this.instance = instance;
		this.lockTable = new LockTable(settings.tablePrefix());
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
		while (true) {
			try {
				runOnce(migration, waitDeadline);
				return;
			}
			catch (Exception ex) {
				if (!ConnectionLoss.causedBy(ex)) {
					throw ex;
				}
				if (Instant.now().plus(backoff).isAfter(retryDeadline)) {
					throw new DatabaseUnavailableException(this.settings.retryTimeout(), ex);
				}
				logger.warn("Lost the database connection while migrating (" + DatabaseUnavailableException.rootMessage(ex) + "); trying again in "
						+ backoff.toMillis() + "ms");
				sleep(backoff);
				backoff = min(backoff.multipliedBy(2), this.settings.retryMaxInterval());
			}
		}
	}

	private void runOnce(Migration migration, Instant waitDeadline) throws Exception {
		String lockName = "schemagate/" + this.settings.region() + "/" + this.settings.key();
		try (Fence fence = Fence.acquire(this.dataSource, lockName, this.instance.applicationName(), waitDeadline,
				this::reportWaiting)) {
			this.lockTable.ensureExists(fence.connection());
			this.lockTable.removeAbandoned(fence.connection(), this.settings.region(), this.settings.key());
			try (Lease lease = Lease.acquire(this.dataSource, this.settings, this.instance.id())) {
				migration.migrate(fence.dataSource());
			}
			catch (Exception ex) {
				// a migration tool may report a lost connection only through the failure of its
				// own clean-up; whether the fenced session survived tells for sure
				if (!fence.isAlive()) {
					throw new SQLRecoverableException("Lost the fenced database session while migrating", ex);
				}
				throw ex;
			}
		}
	}

	private void reportWaiting(Optional<LockHolder> holder) {
		logger.info("Waiting for the schema migration lock '" + this.settings.key() + "', held by "
				+ holder.map(LockHolder::toString).orElse("a session that has just let it go"));
	}

	private static Duration min(Duration a, Duration b) {
		return (a.compareTo(b) <= 0) ? a : b;
	}

	private static void sleep(Duration duration) throws InterruptedException {
		Thread.sleep(duration.toMillis());
	}

}
