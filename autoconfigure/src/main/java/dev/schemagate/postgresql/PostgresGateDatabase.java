package dev.schemagate.postgresql;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import dev.schemagate.database.Blocker;
import dev.schemagate.database.GateDatabase;
import dev.schemagate.database.SharedSessionException;
import dev.schemagate.status.LeaderProgress;
import dev.schemagate.status.LockHolder;
import org.jspecify.annotations.Nullable;

import org.springframework.util.ClassUtils;

/**
 * The gate on PostgreSQL. The fence is a session-level advisory lock, seen in
 * {@code pg_locks}; its holder is read from {@code pg_stat_activity}, a frozen one ended with
 * {@code pg_terminate_backend}; waiters are woken by {@code LISTEN}/{@code NOTIFY}; what
 * blocks the migration is read with {@code pg_blocking_pids}. PostgreSQL 12 or later bounds
 * a vanished client's session with TCP keepalives and {@code tcp_user_timeout}, 14 or later
 * also checks the client while a statement runs.
 * <p>
 * Found by {@link dev.schemagate.database.GateDatabases#of} through {@code META-INF/services}.
 */
public final class PostgresGateDatabase implements GateDatabase {

	/** The product name PostgreSQL's JDBC driver reports. */
	public static final String PRODUCT = "PostgreSQL";

	/** Begins each poll, so that an operator reading {@code pg_stat_activity} sees what it is. */
	public static final String POLL_MARKER = "/* schemagate waiting poll */ ";

	/**
	 * How often the fenced session checks, while a statement runs, that its client is still
	 * there. Without it a leader killed during a long statement keeps the fence until that
	 * statement ends; with it the session ends, and the fence passes on, within this time.
	 */
	static final Duration CLIENT_CHECK_INTERVAL = Duration.ofMillis(250);

	private static final String UNDEFINED_TABLE = "42P01";

	private static final String DUPLICATE_TABLE = "42P07";

	private static final String UNIQUE_VIOLATION = "23505";

	private static final String LOCK_NOT_AVAILABLE = "55P03";

	private static final String UNDEFINED_SCHEMA = "3F000";

	private static final String INSUFFICIENT_PRIVILEGE = "42501";

	// a 64-bit advisory lock shows in pg_locks as two 32-bit halves
	private static final String FENCE = "l.locktype = 'advisory' AND l.granted "
			+ "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
			+ "AND l.classid::bigint = ? AND l.objid::bigint = ? AND l.objsubid = 1";

	private static final String HOLDER = "SELECT a.pid, a.application_name, host(a.client_addr) AS client, "
			+ "a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE " + FENCE;

	private static final String HELD_BY_THIS_SESSION = "SELECT 1 FROM pg_locks l WHERE l.pid = pg_backend_pid() AND "
			+ FENCE;

	private static final String BLOCKERS = """
			SELECT a.pid, a.application_name, a.usename, host(a.client_addr), a.state, a.xact_start,
			       left(regexp_replace(a.query, '\\s+', ' ', 'g'), 200)
			FROM pg_stat_activity a WHERE a.pid = ANY (pg_blocking_pids(CAST(? AS integer))) ORDER BY a.xact_start
			""";

	private static final boolean PGJDBC_PRESENT = ClassUtils.isPresent("org.postgresql.PGConnection",
			PostgresGateDatabase.class.getClassLoader());

	@Override
	public boolean supports(String product, String version) {
		return PRODUCT.equals(product);
	}

	@Override
	public String name() {
		return PRODUCT;
	}

	@Override
	public SessionSettings prepareSession(Connection session, String applicationName, Duration deadPeerTimeout)
			throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("SELECT set_config('application_name', ?, false)")) {
			statement.setString(1, applicationName);
			statement.execute();
		}
		return new SessionSettings(checkClient(session), boundTcp(session, deadPeerTimeout));
	}

	// client_connection_check_interval exists from PostgreSQL 14 on
	private static boolean checkClient(Connection session) throws SQLException {
		if (session.getMetaData().getDatabaseMajorVersion() < 14) {
			return false;
		}
		try (PreparedStatement statement = session
			.prepareStatement("SELECT set_config('client_connection_check_interval', ?, false)")) {
			statement.setString(1, CLIENT_CHECK_INTERVAL.toMillis() + "ms");
			statement.execute();
			return true;
		}
	}

	// Keepalives find a peer that vanished while the session is idle or runs a long statement;
	// tcp_user_timeout drops it once data it was sent stays unacknowledged. Both only apply to
	// TCP connections, and bound how long a cut-off leader can keep the fence when nobody
	// waits to end its session.
	private static boolean boundTcp(Connection session, Duration deadPeerTimeout) throws SQLException {
		if (session.getMetaData().getDatabaseMajorVersion() < 12) {
			return false;
		}
		long idle = Math.max(1, deadPeerTimeout.toSeconds() / 2);
		long interval = Math.max(1, idle / 3);
		try (PreparedStatement statement = session.prepareStatement(
				"SELECT set_config('tcp_keepalives_idle', ?, false), set_config('tcp_keepalives_interval', ?, false), "
						+ "set_config('tcp_keepalives_count', '3', false), set_config('tcp_user_timeout', ?, false)")) {
			statement.setString(1, Long.toString(idle));
			statement.setString(2, Long.toString(interval));
			statement.setString(3, Long.toString(deadPeerTimeout.toMillis()));
			statement.execute();
		}
		return true;
	}

	@Override
	public long limitWaits(Connection session, Duration lockTimeout, Duration statementTimeout) throws SQLException {
		// zero leaves the session's own setting, such as one of its role, in place
		try (PreparedStatement statement = session.prepareStatement("SELECT CASE WHEN ? > 0 THEN "
				+ "set_config('lock_timeout', ? || 'ms', false) END, CASE WHEN ? > 0 THEN "
				+ "set_config('statement_timeout', ? || 'ms', false) END, pg_backend_pid()")) {
			statement.setLong(1, lockTimeout.toMillis());
			statement.setString(2, Long.toString(lockTimeout.toMillis()));
			statement.setLong(3, statementTimeout.toMillis());
			statement.setString(4, Long.toString(statementTimeout.toMillis()));
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getLong(3);
			}
		}
	}

	@Override
	public void resetSession(Connection session, SessionSettings settings, boolean waitsLimited) throws SQLException {
		try (Statement statement = session.createStatement()) {
			statement.execute("RESET application_name");
			if (waitsLimited) {
				statement.execute("RESET lock_timeout");
				statement.execute("RESET statement_timeout");
			}
			if (settings.clientChecked()) {
				statement.execute("RESET client_connection_check_interval");
			}
			if (settings.tcpBounded()) {
				statement.execute("RESET tcp_keepalives_idle");
				statement.execute("RESET tcp_keepalives_interval");
				statement.execute("RESET tcp_keepalives_count");
				statement.execute("RESET tcp_user_timeout");
			}
		}
	}

	// A session of ours never holds the fence before it takes it: one that does is shared with
	// another client (a pooler in transaction mode), where pg_try_advisory_lock would say yes
	// to both; CASE evaluates the lock only when the session does not hold it. Until a first
	// leader created the gate's tables, the poll asks whether they exist instead of reading them.
	@Override
	public Sighting poll(Connection waitingSession, Poll poll) throws SQLException {
		boolean readProgress = poll.withProgress() && poll.leaderTableKnown();
		List<Object> parameters = new ArrayList<>();
		StringBuilder sql = new StringBuilder(POLL_MARKER + "SELECT ");
		if (poll.take()) {
			sql.append("CASE WHEN EXISTS (" + HELD_BY_THIS_SESSION
					+ ") THEN NULL ELSE pg_try_advisory_lock(?) END AS acquired, ");
			parameters.addAll(halves(poll.lockId()));
			parameters.add(poll.lockId());
		}
		else {
			// a session borrowed from a pool, which a pooler may share: it only looks
			sql.append("false AS acquired, ");
		}
		sql.append("h.pid, h.application_name, h.client, h.backend_start, ");
		if (poll.fleet() != null) {
			sql.append(fleetSize(poll.fleet(), parameters)).append(" AS fleet_size, ");
		}
		if (poll.leaseTableKnown()) {
			// the row's version changes with each renewal of the lease
			sql.append("(SELECT xmin::text || ' ' || CLIENT_ID FROM ")
				.append(poll.leaseTable())
				.append(" WHERE REGION = ? AND LOCK_KEY = ?) AS lease_version");
			parameters.add(poll.leaseRegion());
			parameters.add(poll.leaseKey());
		}
		else {
			sql.append("CASE WHEN to_regclass(?) IS NOT NULL THEN '' END AS lease_version");
			parameters.add(poll.leaseTable());
		}
		if (readProgress) {
			sql.append(", ").append(LeaderProgress.columns("p."));
		}
		else {
			sql.append(", to_regclass(?) IS NOT NULL AS leader_table");
			parameters.add(poll.leaderTable());
		}
		sql.append(" FROM (SELECT 1) one LEFT JOIN (").append(HOLDER).append(" LIMIT 1) h ON true");
		parameters.addAll(halves(poll.lockId()));
		if (readProgress) {
			sql.append(" LEFT JOIN ").append(poll.leaderTable()).append(" p ON p.LOCK_KEY = ?");
			parameters.add(poll.leaderKey());
		}
		try (PreparedStatement statement = waitingSession.prepareStatement(sql.toString())) {
			for (int i = 0; i < parameters.size(); i++) {
				statement.setObject(i + 1, parameters.get(i));
			}
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				boolean acquired = result.getBoolean("acquired");
				if (result.wasNull()) {
					throw new SharedSessionException("the session that answered already held the schema migration "
							+ "lock this instance was asking for");
				}
				if (acquired) {
					return Sighting.ACQUIRED;
				}
				String leaseVersion = result.getString("lease_version");
				return new Sighting(false, holder(result), poll.leaseTableKnown() ? leaseVersion : null,
						poll.leaseTableKnown() || leaseVersion != null,
						readProgress ? LeaderProgress.read(result) : Optional.empty(),
						readProgress || result.getBoolean("leader_table"),
						(poll.fleet() != null) ? result.getInt("fleet_size") : -1);
			}
		}
	}

	// two-key advisory locks (objsubid 2), apart from every fence's one 64-bit key; the
	// scan stops at the first slot taken
	@Override
	public OptionalInt takeListenerSlot(Connection session, long lockId, int slots) throws SQLException {
		int slot;
		long pid;
		try (PreparedStatement statement = session.prepareStatement("SELECT s.slot, pg_backend_pid() FROM "
				+ "generate_series(0, ? - 1) AS s(slot) WHERE pg_try_advisory_lock(?, s.slot) LIMIT 1")) {
			statement.setInt(1, slots);
			statement.setInt(2, slotKey(lockId));
			try (ResultSet result = statement.executeQuery()) {
				if (!result.next()) {
					return OptionalInt.empty();
				}
				slot = result.getInt(1);
				pid = result.getLong(2);
			}
		}
		try (PreparedStatement statement = session.prepareStatement("SELECT pg_backend_pid()")) {
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				if (result.getLong(1) != pid) {
					// the session that took it serves other clients of a pooler: only its end
					// lets go of the slot
					endSession(session, pid);
					throw new SharedSessionException("the listener slot this instance had just taken was not held "
							+ "by the session that answered its next statement");
				}
			}
		}
		return OptionalInt.of(slot);
	}

	@Override
	public void releaseListenerSlot(Connection session, long lockId, int slot) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("SELECT pg_advisory_unlock(?, ?)")) {
			statement.setInt(1, slotKey(lockId));
			statement.setInt(2, slot);
			statement.execute();
		}
	}

	private static int slotKey(long lockId) {
		return (int) (lockId ^ (lockId >>> 32));
	}

	@Override
	public void endSession(Connection session, long sessionId) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("SELECT pg_terminate_backend(?)")) {
			statement.setInt(1, (int) sessionId);
			statement.execute();
		}
	}

	@Override
	public boolean holdsFence(Connection session, long lockId) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement(HELD_BY_THIS_SESSION)) {
			setHalves(statement, 1, lockId);
			try (ResultSet result = statement.executeQuery()) {
				return result.next();
			}
		}
	}

	@Override
	public Optional<LockHolder> fenceHolder(Connection session, long lockId) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement(HOLDER)) {
			setHalves(statement, 1, lockId);
			try (ResultSet result = statement.executeQuery()) {
				return result.next() ? holder(result) : Optional.empty();
			}
		}
	}

	@Override
	public boolean fenceHeldElsewhere(Connection session, long lockId) throws SQLException {
		try (PreparedStatement statement = session
			.prepareStatement("SELECT count(*) FROM pg_locks l WHERE l.pid <> pg_backend_pid() AND " + FENCE)) {
			setHalves(statement, 1, lockId);
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getLong(1) > 0;
			}
		}
	}

	@Override
	public void releaseFence(Connection session, long lockId) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("SELECT pg_advisory_unlock(?)")) {
			statement.setLong(1, lockId);
			statement.execute();
		}
		// in auto-commit the notification is delivered at once
		try (PreparedStatement statement = session.prepareStatement("SELECT pg_notify(?, '')")) {
			statement.setString(1, channel(lockId));
			statement.execute();
		}
	}

	// only the session seen, and only while it still holds the fence; another role's session
	// start is hidden from an unprivileged user, so then the pid and the lock tell
	@Override
	public boolean endHolder(Connection session, long lockId, LockHolder holder) throws SQLException {
		try (PreparedStatement statement = session
			.prepareStatement("SELECT pg_terminate_backend(h.pid) FROM (" + HOLDER + ") h WHERE h.pid = ?"
					+ ((holder.connectedAt() != null) ? " AND h.backend_start = ?" : ""))) {
			setHalves(statement, 1, lockId);
			statement.setLong(3, holder.backendPid());
			if (holder.connectedAt() != null) {
				statement.setObject(4, holder.connectedAt());
			}
			try (ResultSet result = statement.executeQuery()) {
				return result.next() && result.getBoolean(1);
			}
		}
	}

	@Override
	public boolean refusesToEnd(SQLException failure) {
		return INSUFFICIENT_PRIVILEGE.equals(failure.getSQLState());
	}

	@Override
	public String rightToEnd() {
		return "the same database role as the leader, or grant their role pg_signal_backend";
	}

	@Override
	public void cancelStatement(Connection session, long sessionId) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("SELECT pg_cancel_backend(?)")) {
			statement.setInt(1, (int) sessionId);
			statement.execute();
		}
	}

	@Override
	public void listenForRelease(Connection waitingSession, long lockId) throws SQLException {
		try (Statement statement = waitingSession.createStatement()) {
			statement.execute("LISTEN " + channel(lockId));
		}
	}

	@Override
	public void stopListening(Connection session, long lockId) throws SQLException {
		try (Statement statement = session.createStatement()) {
			statement.execute("UNLISTEN " + channel(lockId));
		}
	}

	// waiting for a notification needs the PostgreSQL driver's own API; with another driver
	// the waiter sleeps until its next poll
	@Override
	public boolean awaitRelease(Connection waitingSession, long lockId, Duration timeout)
			throws SQLException, InterruptedException {
		if (PGJDBC_PRESENT && PgjdbcNotifications.supports(waitingSession)) {
			return PgjdbcNotifications.await(waitingSession, channel(lockId), timeout);
		}
		Thread.sleep(timeout.toMillis());
		return false;
	}

	/**
	 * Returns the channel a fence's release is notified on.
	 * @param lockId the fence
	 * @return the channel
	 */
	public static String channel(long lockId) {
		// a hex number is a valid identifier, and LISTEN takes no parameter
		return "schemagate_" + Long.toHexString(lockId);
	}

	@Override
	public List<Blocker> blockers(Connection session, long sessionId) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement(BLOCKERS)) {
			statement.setLong(1, sessionId);
			List<Blocker> blockers = new ArrayList<>();
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					blockers.add(new Blocker(result.getLong(1), result.getString(2), result.getString(3),
							result.getString(4), result.getString(5), result.getObject(6, OffsetDateTime.class),
							result.getString(7)));
				}
			}
			return blockers;
		}
	}

	@Override
	public boolean tableExists(Connection session, String tableName) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
			statement.setString(1, tableName);
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getBoolean(1);
			}
		}
	}

	@Override
	public boolean hasColumn(Connection session, String tableName, String column) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("SELECT 1 FROM pg_attribute "
				+ "WHERE attrelid = to_regclass(?) AND attname = lower(?) AND NOT attisdropped")) {
			statement.setString(1, tableName);
			statement.setString(2, column);
			try (ResultSet result = statement.executeQuery()) {
				return result.next();
			}
		}
	}

	// CREATE TABLE IF NOT EXISTS is not atomic in PostgreSQL: a concurrent creator outside
	// the gate makes it fail this way
	@Override
	public boolean createdConcurrently(SQLException failure) {
		return UNIQUE_VIOLATION.equals(failure.getSQLState()) || DUPLICATE_TABLE.equals(failure.getSQLState());
	}

	@Override
	public boolean tableMissing(SQLException failure) {
		return UNDEFINED_TABLE.equals(failure.getSQLState()) || UNDEFINED_SCHEMA.equals(failure.getSQLState());
	}

	@Override
	public String createTable(GateTable table, String tableName) {
		return switch (table) {
			// as Spring Integration's PostgreSQL schema has it
			case LOCK -> "CREATE TABLE IF NOT EXISTS " + tableName + " (LOCK_KEY CHAR(36) NOT NULL, "
					+ "REGION VARCHAR(100) NOT NULL, CLIENT_ID CHAR(36), CREATED_DATE TIMESTAMP NOT NULL, "
					+ "EXPIRED_AFTER TIMESTAMP NOT NULL, CONSTRAINT " + tableName.substring(tableName.lastIndexOf('.') + 1)
					+ "_PK PRIMARY KEY (LOCK_KEY, REGION))";
			case LEADER -> "CREATE TABLE IF NOT EXISTS " + tableName + " (LOCK_KEY VARCHAR(255) NOT NULL PRIMARY KEY, "
					+ "INSTANCE_ID CHAR(36) NOT NULL, HOST VARCHAR(255) NOT NULL, PID BIGINT NOT NULL, "
					+ "ACQUIRED_AT TIMESTAMP WITH TIME ZONE NOT NULL, CHANGESET_INDEX INT, CHANGESET_COUNT INT, "
					+ "CHANGESET_ID VARCHAR(255), CHANGESET_AUTHOR VARCHAR(255), CHANGELOG VARCHAR(1000), "
					+ "CHANGESET_STARTED_AT TIMESTAMP WITH TIME ZONE)";
			case HISTORY -> "CREATE TABLE IF NOT EXISTS " + tableName + " (ID BIGSERIAL PRIMARY KEY, "
					+ "LOCK_KEY VARCHAR(255) NOT NULL, INSTANCE_ID CHAR(36) NOT NULL, HOST VARCHAR(255) NOT NULL, "
					+ "PID BIGINT NOT NULL, APP_VERSION VARCHAR(100), DB_USER VARCHAR(100) NOT NULL, "
					+ "CHANGESET_ID VARCHAR(255) NOT NULL, CHANGESET_AUTHOR VARCHAR(255) NOT NULL, "
					+ "CHANGELOG VARCHAR(1000) NOT NULL, STARTED_AT TIMESTAMP WITH TIME ZONE NOT NULL, "
					+ "DURATION_MS BIGINT NOT NULL, OUTCOME VARCHAR(20) NOT NULL, ERROR VARCHAR(2000))";
			case INSTANCE -> "CREATE TABLE IF NOT EXISTS " + tableName + " (INSTANCE_ID CHAR(36) NOT NULL PRIMARY KEY, "
					+ "LOCK_KEY VARCHAR(255) NOT NULL, HOST VARCHAR(255) NOT NULL, PID BIGINT NOT NULL, "
					+ "APP_VERSION VARCHAR(255), CHANGELOG_HEAD VARCHAR(255), CONTRACTS TEXT[] NOT NULL, CHANGESETS TEXT[], "
					+ "STARTED_AT TIMESTAMP WITH TIME ZONE NOT NULL, HEARTBEAT_AT TIMESTAMP WITH TIME ZONE NOT NULL)";
			case ROLLBACK -> "CREATE TABLE IF NOT EXISTS " + tableName + " (ID VARCHAR(255) NOT NULL, "
					+ "AUTHOR VARCHAR(255) NOT NULL, FILENAME VARCHAR(255) NOT NULL, STATEMENTS TEXT[], "
					+ "NO_ROLLBACK VARCHAR(2000), RECORDED_AT TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "
					+ "PRIMARY KEY (ID, AUTHOR, FILENAME))";
		};
	}

	@Override
	public String addColumn(GateTable table, String tableName, String column) {
		if (table == GateTable.INSTANCE && "CHANGESETS".equals(column)) {
			return "ALTER TABLE " + tableName + " ADD COLUMN IF NOT EXISTS CHANGESETS TEXT[]";
		}
		throw new IllegalArgumentException("No column " + column + " is added to " + table);
	}

	@Override
	public String now() {
		return "now()";
	}

	@Override
	public String microsecondsAgo() {
		return "(now() - ? * interval '1 microsecond')";
	}

	@Override
	public String onDuplicateKey(String keyColumns, String assignments) {
		return " ON CONFLICT (" + keyColumns + ") DO UPDATE SET " + assignments;
	}

	@Override
	public String inserted(String column) {
		return "EXCLUDED." + column;
	}

	@Override
	public void setTexts(PreparedStatement statement, int index, @Nullable List<String> values) throws SQLException {
		statement.setArray(index,
				(values != null) ? statement.getConnection().createArrayOf("text", values.toArray()) : null);
	}

	@Override
	public @Nullable List<String> texts(ResultSet result, int index) throws SQLException {
		Array array = result.getArray(index);
		return (array != null) ? Arrays.asList((String[]) array.getArray()) : null;
	}

	@Override
	public String sharesAText(String column) {
		return column + " && ?";
	}

	@Override
	public void lockAgainstWrites(Connection session, String tableName) throws SQLException {
		try (Statement statement = session.createStatement()) {
			statement.execute("LOCK TABLE " + tableName + " IN SHARE MODE");
		}
	}

	@Override
	public void readOnlySession(Connection session, boolean readOnly) throws SQLException {
		try (Statement statement = session.createStatement()) {
			statement.execute(readOnly ? "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
					: "RESET default_transaction_read_only");
		}
	}

	@Override
	public String replaceLockTimeout(Connection session, @Nullable String setting) throws SQLException {
		try (PreparedStatement statement = session
			.prepareStatement("SELECT current_setting('lock_timeout'), set_config('lock_timeout', ?, false)")) {
			statement.setString(1, (setting != null) ? setting : "0");
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getString(1);
			}
		}
	}

	@Override
	public Failure failure(SQLException failure) {
		String state = failure.getSQLState();
		if (state == null) {
			return Failure.OTHER;
		}
		// 28: invalid authorization (wrong user or password); 3D000: no such database
		if (state.startsWith("28")) {
			return Failure.CONNECTION_REFUSED;
		}
		if (state.equals("3D000")) {
			return Failure.DATABASE_MISSING;
		}
		// 08: connection exception; 57P01-57P03: the server shuts down, crashed or is starting
		if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")) {
			return Failure.CONNECTION_LOST;
		}
		return switch (state) {
			case LOCK_NOT_AVAILABLE -> Failure.LOCK_TIMEOUT;
			case "40001", "40P01" -> Failure.CONFLICT;
			default -> Failure.OTHER;
		};
	}

	@Override
	public int fractionalDigits(Connection session, String tableName, String column) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement(
				"SELECT atttypmod FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = lower(?)")) {
			statement.setString(1, tableName);
			statement.setString(2, column);
			try (ResultSet result = statement.executeQuery()) {
				return (result.next() && result.getInt(1) >= 0) ? result.getInt(1) : 6;
			}
		}
	}

	@Override
	public List<ClientSession> otherSessions(Connection session) throws SQLException {
		List<ClientSession> sessions = new ArrayList<>();
		try (PreparedStatement statement = session.prepareStatement("""
				SELECT a.pid, a.usename, a.application_name, host(a.client_addr), a.backend_start,
				coalesce(a.state_change, now()), EXISTS (SELECT 1 FROM pg_locks l
				WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted)
				FROM pg_stat_activity a
				WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
				""");
				ResultSet result = statement.executeQuery()) {
			while (result.next()) {
				OffsetDateTime began = result.getObject(5, OffsetDateTime.class);
				OffsetDateTime lastActive = result.getObject(6, OffsetDateTime.class);
				// a session of another user hides its times: it may have begun at any time
				sessions.add(new ClientSession(result.getLong(1), result.getString(2), result.getString(3),
						result.getString(4), (began != null) ? began.toInstant() : null,
						(lastActive != null) ? lastActive.toInstant() : Instant.now(), result.getBoolean(7)));
			}
		}
		return sessions;
	}

	private static Optional<LockHolder> holder(ResultSet result) throws SQLException {
		if (result.getObject("pid") == null) {
			return Optional.empty();
		}
		return Optional.of(new LockHolder(result.getLong("pid"), result.getString("application_name"),
				result.getString("client"), result.getObject("backend_start", OffsetDateTime.class)));
	}

	private static List<Long> halves(long lockId) {
		return List.of(lockId >>> 32, lockId & 0xFFFFFFFFL);
	}

	private static void setHalves(PreparedStatement statement, int first, long lockId) throws SQLException {
		statement.setLong(first, lockId >>> 32);
		statement.setLong(first + 1, lockId & 0xFFFFFFFFL);
	}

	/**
	 * Reads notifications through the PostgreSQL driver; a class of its own so that nothing
	 * loads the driver's classes where it is absent.
	 */
	private static final class PgjdbcNotifications {

		static boolean supports(Connection session) throws SQLException {
			return session.isWrapperFor(org.postgresql.PGConnection.class);
		}

		static boolean await(Connection session, String channel, Duration timeout) throws SQLException {
			org.postgresql.PGNotification[] notifications = session.unwrap(org.postgresql.PGConnection.class)
				// 0 would wait for ever
				.getNotifications((int) Math.max(1, timeout.toMillis()));
			if (notifications == null) {
				return false;
			}
			for (org.postgresql.PGNotification notification : notifications) {
				if (channel.equals(notification.getName())) {
					return true;
				}
			}
			return false;
		}

	}

}
