package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import dev.schemagate.database.Blocker;
import dev.schemagate.database.GateDatabase;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Watches which sessions the migration's session waits for while it waits for a lock, so
 * that a changeset that times out can name them: once its statement is cancelled,
 * the database no longer tells. Only the leader watches, on a pooled connection borrowed for
 * one short query at a time.
 */
final class BlockerWatch implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(BlockerWatch.class);

	// SQL's class of syntax errors and access rule violations, which no retry heals
	private static final String ACCESS_RULE_VIOLATION = "42";

	private final GateDatabase database;

	private final DataSource dataSource;

	private final long blockedPid;

	private final ScheduledExecutorService executor;

	private volatile List<Blocker> lastSeen = List.of();

	private BlockerWatch(GateDatabase database, DataSource dataSource, long blockedPid, Duration interval) {
		this.database = database;
		this.dataSource = dataSource;
		this.blockedPid = blockedPid;
		this.executor = DaemonThreads.scheduler("schemagate-blocker-watch");
		long millis = Math.max(interval.toMillis(), 50);
		this.executor.scheduleWithFixedDelay(this::look, millis, millis, TimeUnit.MILLISECONDS);
	}

	/**
	 * Starts watching a session, looking often enough to see any wait that reaches the lock
	 * timeout.
	 * @param database the database the gate speaks to
	 * @param dataSource where to look from
	 * @param blockedPid the backend pid of the migration's session
	 * @param lockTimeout the session's lock timeout
	 * @return the watch, to be closed when the migration ends
	 */
	static BlockerWatch start(GateDatabase database, DataSource dataSource, long blockedPid, Duration lockTimeout) {
		Duration interval = lockTimeout.dividedBy(3);
		return new BlockerWatch(database, dataSource, blockedPid, (interval.compareTo(Duration.ofSeconds(1)) < 0) ? interval
				: Duration.ofSeconds(1));
	}

	/**
	 * Returns the sessions seen blocking the migration's session last, since the last
	 * {@link #forget()}.
	 * @return the blocking sessions, empty when none was seen
	 */
	List<Blocker> lastSeen() {
		return this.lastSeen;
	}

	void forget() {
		this.lastSeen = List.of();
	}

	private void look() {
		try (Connection connection = this.dataSource.getConnection()) {
			List<Blocker> blockers = this.database.blockers(connection, this.blockedPid);
			if (!blockers.isEmpty()) {
				this.lastSeen = List.copyOf(blockers);
			}
		}
		catch (SQLException ex) {
			if (ex.getSQLState() != null && ex.getSQLState().startsWith(ACCESS_RULE_VIOLATION)) {
				// no passing fault: a user who may not read the server's locks (MariaDB's
				// PROCESS privilege) would fail, and be logged by the driver, every second
				logger.info("Cannot read what blocks the migration's session (" + ex.getMessage()
						+ "): a lock timeout will not name the sessions it waited for");
				this.executor.shutdown();
			}
			else {
				logger.debug("Could not read what blocks the migration's session", ex);
			}
		}
		catch (RuntimeException ex) {
			logger.debug("Could not read what blocks the migration's session", ex);
		}
	}

	@Override
	public void close() {
		this.executor.shutdownNow();
	}

}
