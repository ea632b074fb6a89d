package dev.schemagate.gate;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import dev.schemagate.database.GateDatabases;
import dev.schemagate.database.UnsupportedDatabaseException;
import dev.schemagate.status.GateListener;
import dev.schemagate.status.SchemaPosition;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Waits, without migrating, until the database holds everything a migration would apply:
 * for an instance whose database user may only read and write data, while a job or
 * another instance migrates. It takes no lock and creates nothing; each check is the
 * migration's read-only up-to-date check.
 */
public final class SchemaWait {

	private static final Log logger = LogFactory.getLog(SchemaWait.class);

	private static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

	private static final Duration REPORT_INTERVAL = Duration.ofSeconds(5);

	private final DataSource dataSource;

	private final Duration timeout;

	private final GateListener listener;

	private final ShutdownSignal shutdown;

	/**
	 * Creates a wait that nothing stops but its time-out.
	 * @param dataSource the database to watch
	 * @param timeout how long to wait before failing
	 * @param listener hears the outcome
	 */
	public SchemaWait(DataSource dataSource, Duration timeout, GateListener listener) {
		this(dataSource, timeout, listener, ShutdownSignal.never());
	}

	/**
	 * Creates a wait.
	 * @param dataSource the database to watch
	 * @param timeout how long to wait before failing
	 * @param listener hears the outcome
	 * @param shutdown ends the wait when sent
	 */
	public SchemaWait(DataSource dataSource, Duration timeout, GateListener listener, ShutdownSignal shutdown) {
		this.dataSource = dataSource;
		this.timeout = timeout;
		this.listener = listener;
		this.shutdown = shutdown;
	}

	/**
	 * Returns once the database holds everything the migration would apply.
	 * @param migration the migration whose changes to wait for
	 * @throws SchemaNotReadyException if the database still lacks some after the time-out
	 * @throws ConnectionRejectedException if the database rejects the connection
	 * @throws InterruptedException if interrupted while waiting
	 */
	public void await(Migration migration) throws InterruptedException {
		Instant start = Instant.now();
		Instant deadline = start.plus(this.timeout);
		Instant nextReport = start.plus(REPORT_INTERVAL);
		this.listener.starting();
		List<String> missing = List.of();
		while (true) {
			if (this.shutdown.requested()) {
				StartCancelledException cancelled = new StartCancelledException("waiting for the schema");
				logger.info(cancelled.getMessage());
				this.listener.failed(cancelled);
				throw cancelled;
			}
			try (Connection session = this.dataSource.getConnection()) {
				GateDatabases.of(session);
				Optional<SchemaPosition> position = migration.upToDate(session);
				if (position.isPresent()) {
					logger.info("The schema holds every changeset up to " + position.get().changelogLastId()
							+ ": starting");
					this.listener.upToDate(position.get(), Duration.between(start, Instant.now()));
					return;
				}
				missing = migration.missing(session);
			}
			catch (UnsupportedDatabaseException ex) {
				this.listener.failed(ex);
				throw ex;
			}
			catch (Exception ex) {
				Optional<ConnectionRejectedException> rejected = ConnectionRejectedException.of(ex);
				if (rejected.isPresent()) {
					this.listener.failed(rejected.get());
					throw rejected.get();
				}
				// a database that is out of reach or restarting is waited for like a schema
				logger.debug("Could not check the schema", ex);
			}
			Instant now = Instant.now();
			if (!now.isBefore(deadline)) {
				SchemaNotReadyException notReady = new SchemaNotReadyException(missing, Duration.between(start, now));
				this.listener.failed(notReady);
				throw notReady;
			}
			if (!now.isBefore(nextReport)) {
				logger.info("Waiting " + Duration.between(start, now).toSeconds() + "s for the schema to hold this "
						+ "instance's changelog; missing: " + (missing.isEmpty() ? "(cannot tell yet)"
								: missing.size() + ", first " + missing.get(0)));
				this.listener.waiting(Optional.empty(), Optional.empty(), Duration.between(start, now));
				nextReport = now.plus(REPORT_INTERVAL);
			}
			// a signal is told at the top of the loop
			this.shutdown.await(CHECK_INTERVAL);
		}
	}

}
