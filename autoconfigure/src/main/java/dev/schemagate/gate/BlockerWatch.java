package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Watches which sessions the migration's session waits for while it waits for a lock, so
 * that a changeset that times out can name them: once its statement is cancelled,
 * PostgreSQL no longer tells. Only the leader watches, on a pooled connection borrowed for
 * one short query at a time.
 */
final class BlockerWatch implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(BlockerWatch.class);

	private static final String BLOCKERS = """
			SELECT a.pid, a.application_name, a.usename, host(a.client_addr), a.state, a.xact_start,
			       left(regexp_replace(a.query, '\\s+', ' ', 'g'), 200)
			FROM pg_stat_activity a WHERE a.pid = ANY (pg_blocking_pids(CAST(? AS integer))) ORDER BY a.xact_start
			""";

	private final DataSource dataSource;

	private final long blockedPid;

	private final ScheduledExecutorService executor;

	private volatile List<Blocker> lastSeen = List.of();

	private BlockerWatch(DataSource dataSource, long blockedPid, Duration interval) {
		this.dataSource = dataSource;
		this.blockedPid = blockedPid;
		this.executor = DaemonThreads.scheduler("schemagate-blocker-watch");
		long millis = Math.max(interval.toMillis(), 50);
		this.executor.scheduleWithFixedDelay(this::look, millis, millis, TimeUnit.MILLISECONDS);
	}

	/**
	 * Starts watching a session, looking often enough to see any wait that reaches the lock
	 * timeout.
	 * @param dataSource where to look from
	 * @param blockedPid the backend pid of the migration's session
	 * @param lockTimeout the session's lock timeout
	 * @return the watch, to be closed when the migration ends
	 */
	static BlockerWatch start(DataSource dataSource, long blockedPid, Duration lockTimeout) {
		Duration interval = lockTimeout.dividedBy(3);
		return new BlockerWatch(dataSource, blockedPid, (interval.compareTo(Duration.ofSeconds(1)) < 0) ? interval
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
		try (Connection connection = this.dataSource.getConnection();
				PreparedStatement statement = connection.prepareStatement(BLOCKERS)) {
			statement.setLong(1, this.blockedPid);
			List<Blocker> blockers = new ArrayList<>();
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					blockers.add(new Blocker(result.getLong(1), result.getString(2), result.getString(3),
							result.getString(4), result.getString(5), result.getObject(6, OffsetDateTime.class),
							result.getString(7)));
				}
			}
			if (!blockers.isEmpty()) {
				this.lastSeen = List.copyOf(blockers);
			}
		}
		catch (SQLException | RuntimeException ex) {
			logger.debug("Could not read what blocks the migration's session", ex);
		}
	}

	@Override
	public void close() {
		this.executor.shutdownNow();
	}

	/**
	 * A session the migration's session waited for.
	 *
	 * @param pid its backend pid
	 * @param applicationName its {@code application_name}
	 * @param user its database user
	 * @param client its client address, {@code null} over a Unix socket
	 * @param state its state, such as {@code idle in transaction}
	 * @param transactionStart when its transaction began
	 * @param query its current or last statement, shortened
	 */
	public record Blocker(long pid, @Nullable String applicationName, String user, @Nullable String client,
			@Nullable String state, @Nullable OffsetDateTime transactionStart, @Nullable String query) {

		@Override
		public String toString() {
			String name = (this.applicationName != null && !this.applicationName.isEmpty())
					? " '" + this.applicationName + "'" : "";
			return "pid " + this.pid + name + " (user " + this.user
					+ ((this.client != null) ? ", from " + this.client : "") + ", " + this.state
					+ ((this.transactionStart != null) ? ", in a transaction since " + this.transactionStart : "")
					+ ((this.query != null) ? ", last statement: " + this.query : "") + ")";
		}

	}

}
