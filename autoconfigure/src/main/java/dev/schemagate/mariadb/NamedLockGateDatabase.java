package dev.schemagate.mariadb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.schemagate.database.Blocker;
import dev.schemagate.database.ClusteredDatabaseException;
import dev.schemagate.database.GateDatabase;
import dev.schemagate.database.SharedSessionException;
import dev.schemagate.database.UtcTimes;
import dev.schemagate.status.LeaderProgress;
import dev.schemagate.status.LockHolder;
import org.jspecify.annotations.Nullable;

/**
 * The gate's fence and its tables on MariaDB and MySQL, which share their named locks, InnoDB
 * and {@code information_schema}. The fence is a named lock ({@code GET_LOCK}), held by the
 * session that took it until it lets go or ends. Lock names are server-wide, so the name is
 * derived from the current database and the fence's id and hashed, which keeps it within 64
 * characters. The holder is the connection {@code IS_USED_LOCK} names; a frozen one is ended
 * with {@code KILL CONNECTION}. Neither server has notifications: a waiter waits for the
 * release in {@code GET_LOCK} itself, which the release wakes, and lets go at once so that
 * the next waiter wakes in turn.
 * <p>
 * Times are stored in UTC, in {@code DATETIME(6)}, lists of texts as JSON arrays, and the
 * registry is locked against new instances by a locking read of all its rows. What differs
 * between the two servers is each subclass's.
 */
abstract sealed class NamedLockGateDatabase implements GateDatabase permits MariaDbGateDatabase, MySqlGateDatabase {

	// server-wide, case-insensitive, at most 64 characters: the database and the id, hashed
	private static final String NAME = "CONCAT('schemagate_', LEFT(SHA1(CONCAT(IFNULL(DATABASE(), ''), '/', ?)), 40))";

	private static final int NO_SUCH_TABLE = 1146;

	private static final int TABLE_EXISTS = 1050;

	private static final int DUPLICATE_KEY = 1062;

	private static final int DUPLICATE_COLUMN = 1060;

	private static final int NO_SUCH_THREAD = 1094;

	private static final int NOT_OWNER_OF_THREAD = 1095;

	private static final int SPECIFIC_ACCESS_DENIED = 1227;

	private static final int ACCESS_DENIED = 1045;

	private static final int DATABASE_ACCESS_DENIED = 1044;

	private static final int UNKNOWN_DATABASE = 1049;

	private static final int SERVER_SHUTDOWN = 1053;

	// MariaDB's, for a session ended by KILL
	private static final int CONNECTION_KILLED = 1927;

	// MySQL's, for a session the server ended after wait_timeout
	private static final int CLIENT_INTERACTION_TIMEOUT = 4031;

	private static final int LOCK_WAIT_TIMEOUT = 1205;

	private static final int DEADLOCK = 1213;

	private static final int RECORD_CHANGED = 1020;

	// MariaDB's and MySQL's drivers' modes that move sessions between servers
	private static final Pattern BALANCING_URL = Pattern
		.compile("^jdbc:(?:mariadb|mysql):(loadbalance|sequential|failover|replication|aurora)://", Pattern.CASE_INSENSITIVE);

	private static final Pattern RECONNECTING_URL = Pattern.compile("[?&]autoReconnect=true", Pattern.CASE_INSENSITIVE);

	private static final long UNBOUNDED_LOCK_WAIT = 31536000;

	private static final long UNBOUNDED_ROW_LOCK_WAIT = 1073741824;

	// Neither server has a session name others can read, nor per-session TCP settings: an idle
	// session whose client vanished is ended after wait_timeout, which is set to the bound
	@Override
	public SessionSettings prepareSession(Connection session, String applicationName, Duration deadPeerTimeout)
			throws SQLException {
		refuseClusters(session);
		try (PreparedStatement statement = session.prepareStatement("SET SESSION wait_timeout = ?")) {
			statement.setLong(1, Math.max(1, deadPeerTimeout.toSeconds()));
			statement.execute();
		}
		return new SessionSettings(false, true);
	}

	// Each node of a Galera cluster grants named locks alone, and a driver that balances or
	// fails over moves a session to another server without its lock: the fence would hold
	// nothing. A load balancer or proxy in front of a cluster is not seen from here.
	private static void refuseClusters(Connection session) throws SQLException {
		String url = String.valueOf(session.getMetaData().getURL());
		Matcher balancing = BALANCING_URL.matcher(url);
		if (balancing.find()) {
			throw new ClusteredDatabaseException("its URL puts the driver in " + balancing.group(1) + " mode, which "
					+ "moves sessions between servers (" + url.replaceFirst("\\?.*", "") + ")");
		}
		if (RECONNECTING_URL.matcher(url).find()) {
			throw new ClusteredDatabaseException("its URL lets the driver reconnect a lost session (autoReconnect=true), "
					+ "which leaves the session's lock behind");
		}
		try (Statement statement = session.createStatement();
				ResultSet result = statement.executeQuery("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'")) {
			if (result.next() && "ON".equalsIgnoreCase(result.getString(2))) {
				throw new ClusteredDatabaseException("the server is a node of a Galera cluster (wsrep_on), each of "
						+ "whose nodes grants the same named lock");
			}
		}
	}

	// lock_wait_timeout bounds the wait for metadata locks (DDL), innodb_lock_wait_timeout
	// the wait for rows; both are whole seconds
	@Override
	public long limitWaits(Connection session, Duration lockTimeout, Duration statementTimeout) throws SQLException {
		try (Statement statement = session.createStatement()) {
			if (!lockTimeout.isZero()) {
				long seconds = Math.max(1, (lockTimeout.toMillis() + 999) / 1000);
				statement.execute("SET SESSION lock_wait_timeout = " + seconds);
				statement.execute("SET SESSION innodb_lock_wait_timeout = " + seconds);
			}
			if (!statementTimeout.isZero()) {
				statement.execute(limitStatementTime(statementTimeout));
			}
			try (ResultSet result = statement.executeQuery("SELECT CONNECTION_ID()")) {
				result.next();
				return result.getLong(1);
			}
		}
	}

	@Override
	public void resetSession(Connection session, SessionSettings settings, boolean waitsLimited) throws SQLException {
		try (Statement statement = session.createStatement()) {
			if (settings.tcpBounded()) {
				statement.execute("SET SESSION wait_timeout = @@GLOBAL.wait_timeout");
			}
			if (waitsLimited) {
				statement.execute("SET SESSION lock_wait_timeout = @@GLOBAL.lock_wait_timeout");
				statement.execute("SET SESSION innodb_lock_wait_timeout = @@GLOBAL.innodb_lock_wait_timeout");
				statement.execute(resetStatementTime());
			}
		}
	}

	// A session of ours never holds the fence before it takes it: one that does is shared
	// with another client (a proxy multiplexing sessions), where GET_LOCK, which a session
	// may take twice, would say yes to both.
	@Override
	public Sighting poll(Connection waitingSession, Poll poll) throws SQLException {
		boolean readProgress = poll.withProgress() && poll.leaderTableKnown();
		List<Object> parameters = new ArrayList<>();
		// a session borrowed from a pool, which a proxy may share, only looks
		StringBuilder sql = new StringBuilder("SELECT " + (poll.take()
				? "CASE WHEN IS_USED_LOCK(n.name) = CONNECTION_ID() THEN NULL ELSE GET_LOCK(n.name, 0) END"
				: "0") + " AS acquired, IS_USED_LOCK(n.name) AS pid, h.HOST AS client, ");
		if (poll.fleet() != null) {
			sql.append(fleetSize(poll.fleet(), parameters)).append(" AS fleet_size, ");
		}
		if (poll.leaseTableKnown()) {
			// Spring Integration's MySQL lock table has no row version: each renewal moves
			// EXPIRED_AFTER, by the renewing client's clock, which is only compared with itself
			sql.append("(SELECT CONCAT(CLIENT_ID, ' ', EXPIRED_AFTER) FROM ")
				.append(poll.leaseTable())
				.append(" WHERE REGION = ? AND LOCK_KEY = ?) AS lease_version");
			parameters.add(poll.leaseRegion());
			parameters.add(poll.leaseKey());
		}
		else {
			sql.append("(SELECT '' FROM information_schema.TABLES WHERE ").append(tableIs()).append(") AS lease_version");
			parameters.addAll(schemaAndTable(poll.leaseTable()));
		}
		if (readProgress) {
			sql.append(", ").append(LeaderProgress.columns("p."));
		}
		else {
			sql.append(", EXISTS (SELECT 1 FROM information_schema.TABLES WHERE ")
				.append(tableIs())
				.append(") AS leader_table");
			parameters.addAll(schemaAndTable(poll.leaderTable()));
		}
		sql.append(" FROM (SELECT ").append(NAME).append(" AS name) n");
		parameters.add(id(poll.lockId()));
		// PROCESSLIST shows another user's sessions only with the PROCESS privilege: the id
		// comes from the lock, which anyone may read, in the same statement
		sql.append(" LEFT JOIN (SELECT ID, HOST FROM information_schema.PROCESSLIST) h ON h.ID = IS_USED_LOCK(n.name)");
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
				int acquired = result.getInt("acquired");
				if (result.wasNull()) {
					throw new SharedSessionException("the session that answered already held the schema migration "
							+ "lock this instance was asking for");
				}
				if (acquired == 1) {
					return Sighting.ACQUIRED;
				}
				String leaseVersion = result.getString("lease_version");
				return new Sighting(false, holder(result),
						poll.leaseTableKnown() ? leaseVersion : null, poll.leaseTableKnown() || leaseVersion != null,
						readProgress ? LeaderProgress.read(result) : Optional.empty(),
						readProgress || result.getBoolean("leader_table"),
						(poll.fleet() != null) ? result.getInt("fleet_size") : -1);
			}
		}
	}

	// the holder's id from the lock; its host only where PROCESSLIST shows its session
	private static Optional<LockHolder> holder(ResultSet result) throws SQLException {
		long pid = result.getLong("pid");
		return result.wasNull() ? Optional.empty()
				: Optional.of(new LockHolder(pid, null, result.getString("client"), null));
	}

	// named locks of their own beside the fence's; the first free one is taken
	@Override
	public OptionalInt takeListenerSlot(Connection session, long lockId, int slots) throws SQLException {
		for (int slot = 0; slot < slots; slot++) {
			try (PreparedStatement statement = session
				.prepareStatement("SELECT GET_LOCK(" + slotName(slot) + ", 0), CONNECTION_ID()")) {
				statement.setString(1, id(lockId));
				try (ResultSet result = statement.executeQuery()) {
					result.next();
					if (result.getInt(1) != 1) {
						continue;
					}
					long taker = result.getLong(2);
					if (!slotHeldBy(session, lockId, slot)) {
						// the session that took it serves other clients of a proxy: only its end
						// lets go of the slot
						endSession(session, taker);
						throw new SharedSessionException("the listener slot this instance had just taken was not "
								+ "held by the session that answered its next statement");
					}
					return OptionalInt.of(slot);
				}
			}
		}
		return OptionalInt.empty();
	}

	private boolean slotHeldBy(Connection session, long lockId, int slot) throws SQLException {
		try (PreparedStatement statement = session
			.prepareStatement("SELECT IS_USED_LOCK(" + slotName(slot) + ") = CONNECTION_ID()")) {
			statement.setString(1, id(lockId));
			try (ResultSet result = statement.executeQuery()) {
				return result.next() && result.getBoolean(1);
			}
		}
	}

	@Override
	public void releaseListenerSlot(Connection session, long lockId, int slot) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("SELECT RELEASE_LOCK(" + slotName(slot) + ")")) {
			statement.setString(1, id(lockId));
			statement.execute();
		}
	}

	// within the 64 characters a lock name may have
	private static String slotName(int slot) {
		return "CONCAT('schemagate_', LEFT(SHA1(CONCAT(IFNULL(DATABASE(), ''), '/', ?)), 32), '_l" + slot + "')";
	}

	@Override
	public void endSession(Connection session, long sessionId) throws SQLException {
		try (Statement statement = session.createStatement()) {
			statement.execute("KILL CONNECTION " + sessionId);
		}
	}

	@Override
	public boolean holdsFence(Connection session, long lockId) throws SQLException {
		return holderIs(session, lockId, "=");
	}

	@Override
	public Optional<LockHolder> fenceHolder(Connection session, long lockId) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("SELECT n.holder, h.HOST FROM (SELECT "
				+ "IS_USED_LOCK(" + NAME + ") AS holder) n LEFT JOIN information_schema.PROCESSLIST h ON h.ID = n.holder")) {
			statement.setString(1, id(lockId));
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				long holder = result.getLong(1);
				return result.wasNull() ? Optional.empty()
						: Optional.of(new LockHolder(holder, null, result.getString(2), null));
			}
		}
	}

	@Override
	public boolean fenceHeldElsewhere(Connection session, long lockId) throws SQLException {
		return holderIs(session, lockId, "<>");
	}

	// compares the holder's connection id with the asking session's; false when nobody holds it
	private static boolean holderIs(Connection session, long lockId, String comparison) throws SQLException {
		try (PreparedStatement statement = session
			.prepareStatement("SELECT IFNULL(IS_USED_LOCK(" + NAME + ") " + comparison + " CONNECTION_ID(), FALSE)")) {
			statement.setString(1, id(lockId));
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getBoolean(1);
			}
		}
	}

	// waiters blocked in GET_LOCK are woken by the release itself
	@Override
	public void releaseFence(Connection session, long lockId) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("SELECT RELEASE_LOCK(" + NAME + ")")) {
			statement.setString(1, id(lockId));
			statement.execute();
		}
	}

	// Connection ids are reused only once the server's counter wraps or it restarts, so the
	// id the lock names now is the session seen, unless that session ended and the server
	// restarted in between; KILL cannot be made conditional in one statement.
	@Override
	public boolean endHolder(Connection session, long lockId, LockHolder holder) throws SQLException {
		Optional<LockHolder> now = fenceHolder(session, lockId);
		if (now.isEmpty() || now.get().backendPid() != holder.backendPid()) {
			return false;
		}
		try (Statement statement = session.createStatement()) {
			statement.execute("KILL CONNECTION " + holder.backendPid());
			return true;
		}
		catch (SQLException ex) {
			if (ex.getErrorCode() == NO_SUCH_THREAD) {
				return false;
			}
			throw ex;
		}
	}

	@Override
	public boolean refusesToEnd(SQLException failure) {
		return failure.getErrorCode() == NOT_OWNER_OF_THREAD || failure.getErrorCode() == SPECIFIC_ACCESS_DENIED;
	}

	@Override
	public String rightToEnd() {
		return "the same database user as the leader, or grant their user CONNECTION ADMIN (SUPER on MySQL before 8.0)";
	}

	@Override
	public void cancelStatement(Connection session, long sessionId) throws SQLException {
		try (Statement statement = session.createStatement()) {
			statement.execute("KILL QUERY " + sessionId);
		}
	}

	// the wait is in GET_LOCK itself
	@Override
	public void listenForRelease(Connection waitingSession, long lockId) {
	}

	@Override
	public void stopListening(Connection session, long lockId) {
	}

	// A release grants the lock to one waiter blocked here, which lets go at once, which
	// grants it to the next: every waiter wakes, one round trip after the other, and asks
	// whether it still needs the fence. A blocked GET_LOCK holds no snapshot that DDL on
	// MariaDB would wait for.
	@Override
	public boolean awaitRelease(Connection waitingSession, long lockId, Duration timeout)
			throws SQLException, InterruptedException {
		try (PreparedStatement statement = waitingSession.prepareStatement("SELECT GET_LOCK(" + NAME + ", ?)")) {
			statement.setString(1, id(lockId));
			statement.setDouble(2, Math.max(0.001, timeout.toMillis() / 1000.0));
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				if (result.getInt(1) != 1) {
					return false;
				}
			}
		}
		releaseFence(waitingSession, lockId);
		return true;
	}

	// the blockers a query reads: thread id, application name, user, host, state, the
	// transaction's start and its statement
	static List<Blocker> readBlockers(PreparedStatement statement) throws SQLException {
		List<Blocker> blockers = new ArrayList<>();
		try (ResultSet result = statement.executeQuery()) {
			while (result.next()) {
				blockers.add(new Blocker(result.getLong(1), result.getString(2), String.valueOf(result.getString(3)),
						result.getString(4), result.getString(5), utc(result.getTimestamp(6)), result.getString(7)));
			}
		}
		return blockers;
	}

	@Override
	public boolean tableExists(Connection session, String tableName) throws SQLException {
		try (PreparedStatement statement = session
			.prepareStatement("SELECT 1 FROM information_schema.TABLES WHERE " + tableIs())) {
			setSchemaAndTable(statement, 1, tableName);
			try (ResultSet result = statement.executeQuery()) {
				return result.next();
			}
		}
	}

	@Override
	public boolean hasColumn(Connection session, String tableName, String column) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement(
				"SELECT 1 FROM information_schema.COLUMNS WHERE " + tableIs() + " AND UPPER(COLUMN_NAME) = UPPER(?)")) {
			setSchemaAndTable(statement, 1, tableName);
			statement.setString(3, column);
			try (ResultSet result = statement.executeQuery()) {
				return result.next();
			}
		}
	}

	@Override
	public boolean createdConcurrently(SQLException failure) {
		return failure.getErrorCode() == TABLE_EXISTS || failure.getErrorCode() == DUPLICATE_KEY
				|| failure.getErrorCode() == DUPLICATE_COLUMN;
	}

	@Override
	public boolean tableMissing(SQLException failure) {
		return failure.getErrorCode() == NO_SUCH_TABLE;
	}

	// times are stored as UTC in DATETIME(6), as MariaDB has no type with a time zone
	@Override
	public String createTable(GateTable table, String tableName) {
		return switch (table) {
			// as Spring Integration's MySQL schema has it
			case LOCK -> "CREATE TABLE IF NOT EXISTS " + tableName + " (LOCK_KEY CHAR(36) NOT NULL, "
					+ "REGION VARCHAR(100) NOT NULL, CLIENT_ID CHAR(36), CREATED_DATE DATETIME(6) NOT NULL, "
					+ "EXPIRED_AFTER DATETIME(6) NOT NULL, CONSTRAINT " + unqualified(tableName)
					+ "_PK PRIMARY KEY (LOCK_KEY, REGION)) ENGINE=InnoDB";
			case LEADER -> "CREATE TABLE IF NOT EXISTS " + tableName + " (LOCK_KEY VARCHAR(255) NOT NULL PRIMARY KEY, "
					+ "INSTANCE_ID CHAR(36) NOT NULL, HOST VARCHAR(255) NOT NULL, PID BIGINT NOT NULL, "
					+ "ACQUIRED_AT DATETIME(6) NOT NULL, CHANGESET_INDEX INT, CHANGESET_COUNT INT, "
					+ "CHANGESET_ID VARCHAR(255), CHANGESET_AUTHOR VARCHAR(255), CHANGELOG VARCHAR(1000), "
					+ "CHANGESET_STARTED_AT DATETIME(6)) ENGINE=InnoDB";
			case HISTORY -> "CREATE TABLE IF NOT EXISTS " + tableName + " (ID BIGINT AUTO_INCREMENT PRIMARY KEY, "
					+ "LOCK_KEY VARCHAR(255) NOT NULL, INSTANCE_ID CHAR(36) NOT NULL, HOST VARCHAR(255) NOT NULL, "
					+ "PID BIGINT NOT NULL, APP_VERSION VARCHAR(100), DB_USER VARCHAR(100) NOT NULL, "
					+ "CHANGESET_ID VARCHAR(255) NOT NULL, CHANGESET_AUTHOR VARCHAR(255) NOT NULL, "
					+ "CHANGELOG VARCHAR(1000) NOT NULL, STARTED_AT DATETIME(6) NOT NULL, "
					+ "DURATION_MS BIGINT NOT NULL, OUTCOME VARCHAR(20) NOT NULL, ERROR VARCHAR(2000)) ENGINE=InnoDB";
			// the changeset lists as JSON arrays, as MariaDB has no array type
			case INSTANCE -> "CREATE TABLE IF NOT EXISTS " + tableName + " (INSTANCE_ID CHAR(36) NOT NULL PRIMARY KEY, "
					+ "LOCK_KEY VARCHAR(255) NOT NULL, HOST VARCHAR(255) NOT NULL, PID BIGINT NOT NULL, "
					+ "APP_VERSION VARCHAR(255), CHANGELOG_HEAD VARCHAR(255), CONTRACTS JSON NOT NULL, "
					+ "CHANGESETS JSON, STARTED_AT DATETIME(6) NOT NULL, HEARTBEAT_AT DATETIME(6) NOT NULL, "
					+ "SESSIONS_AFTER_ID BIGINT, SESSIONS_SINCE DATETIME(6)) ENGINE=InnoDB";
			case ROLLBACK -> "CREATE TABLE IF NOT EXISTS " + tableName + " (ID VARCHAR(255) NOT NULL, "
					+ "AUTHOR VARCHAR(255) NOT NULL, FILENAME VARCHAR(255) NOT NULL, STATEMENTS JSON, "
					+ "NO_ROLLBACK VARCHAR(2000), RECORDED_AT DATETIME(6) NOT NULL, "
					+ "PRIMARY KEY (ID, AUTHOR, FILENAME)) ENGINE=InnoDB";
		};
	}

	@Override
	public String addColumn(GateTable table, String tableName, String column) {
		if (table == GateTable.INSTANCE) {
			String type = switch (column) {
				case "CHANGESETS" -> "JSON";
				case "SESSIONS_AFTER_ID" -> "BIGINT";
				case "SESSIONS_SINCE" -> "DATETIME(6)";
				default -> null;
			};
			if (type != null) {
				return "ALTER TABLE " + tableName + " " + addColumnClause() + " " + column + " " + type;
			}
		}
		throw new IllegalArgumentException("No column " + column + " is added to " + table);
	}

	@Override
	public String now() {
		return "UTC_TIMESTAMP(6)";
	}

	@Override
	public String microsecondsAgo() {
		return "(UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND)";
	}

	@Override
	public String onDuplicateKey(String keyColumns, String assignments) {
		return " ON DUPLICATE KEY UPDATE " + assignments;
	}

	@Override
	public String inserted(String column) {
		return "VALUES(" + column + ")";
	}

	@Override
	public void setTexts(PreparedStatement statement, int index, @Nullable List<String> values) throws SQLException {
		statement.setString(index, (values != null) ? JsonTexts.write(values) : null);
	}

	@Override
	public @Nullable List<String> texts(ResultSet result, int index) throws SQLException {
		String json = result.getString(index);
		return (json != null) ? JsonTexts.read(json) : null;
	}

	@Override
	public String sharesAText(String column) {
		return "JSON_OVERLAPS(" + column + ", ?)";
	}

	// LOCK TABLES would commit the transaction: a locking read of every row takes InnoDB's
	// next-key locks, which keep inserts out of every gap, unless the isolation drops gap locks
	@Override
	public void lockAgainstWrites(Connection session, String tableName) throws SQLException {
		int isolation = session.getTransactionIsolation();
		if (isolation == Connection.TRANSACTION_READ_COMMITTED || isolation == Connection.TRANSACTION_READ_UNCOMMITTED) {
			throw new SQLException("Cannot lock " + tableName + " against inserts in a transaction at READ COMMITTED "
					+ "or below, where InnoDB takes no gap locks");
		}
		try (Statement statement = session.createStatement();
				ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM " + tableName + " LOCK IN SHARE MODE")) {
			rows.next();
		}
	}

	@Override
	public void readOnlySession(Connection session, boolean readOnly) throws SQLException {
		try (Statement statement = session.createStatement()) {
			statement.execute(readOnly ? "SET SESSION TRANSACTION READ ONLY" : "SET SESSION TRANSACTION READ WRITE");
		}
	}

	// both waits, as "metadata rows" in whole seconds; the longest either takes is a year
	@Override
	public String replaceLockTimeout(Connection session, @Nullable String setting) throws SQLException {
		String replaced;
		try (Statement statement = session.createStatement();
				ResultSet result = statement
					.executeQuery("SELECT @@SESSION.lock_wait_timeout, @@SESSION.innodb_lock_wait_timeout")) {
			result.next();
			replaced = result.getLong(1) + " " + result.getLong(2);
		}
		String[] seconds = ((setting != null) ? setting : UNBOUNDED_LOCK_WAIT + " " + UNBOUNDED_ROW_LOCK_WAIT)
			.split(" ");
		try (Statement statement = session.createStatement()) {
			statement.execute("SET SESSION lock_wait_timeout = " + Long.parseLong(seconds[0]));
			statement.execute("SET SESSION innodb_lock_wait_timeout = " + Long.parseLong(seconds[1]));
		}
		return replaced;
	}

	@Override
	public Failure failure(SQLException failure) {
		int code = failure.getErrorCode();
		String state = failure.getSQLState();
		if (code == ACCESS_DENIED || code == DATABASE_ACCESS_DENIED || (state != null && state.startsWith("28"))) {
			return Failure.CONNECTION_REFUSED;
		}
		if (code == UNKNOWN_DATABASE) {
			return Failure.DATABASE_MISSING;
		}
		if (code == SERVER_SHUTDOWN || code == CONNECTION_KILLED || code == CLIENT_INTERACTION_TIMEOUT
				|| (state != null && state.startsWith("08"))) {
			return Failure.CONNECTION_LOST;
		}
		if (code == LOCK_WAIT_TIMEOUT) {
			return Failure.LOCK_TIMEOUT;
		}
		if (code == DEADLOCK || code == RECORD_CHANGED) {
			return Failure.CONFLICT;
		}
		return Failure.OTHER;
	}

	@Override
	public int fractionalDigits(Connection session, String tableName, String column) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("SELECT DATETIME_PRECISION FROM "
				+ "information_schema.COLUMNS WHERE " + tableIs() + " AND UPPER(COLUMN_NAME) = UPPER(?)")) {
			setSchemaAndTable(statement, 1, tableName);
			statement.setString(3, column);
			try (ResultSet result = statement.executeQuery()) {
				if (result.next()) {
					int digits = result.getInt(1);
					return result.wasNull() ? 6 : digits;
				}
				return 6;
			}
		}
	}

	// PROCESSLIST tells neither when a session began nor what it holds; a session blocked in
	// GET_LOCK on a fence of schemagate is a waiting instance, and is named as one
	@Override
	public List<ClientSession> otherSessions(Connection session) throws SQLException {
		List<ClientSession> sessions = new ArrayList<>();
		try (Statement statement = session.createStatement();
				ResultSet result = statement.executeQuery("SELECT ID, USER, HOST, COMMAND, INFO, "
						+ stateBegan() + ", UTC_TIMESTAMP(6) "
						+ "FROM information_schema.PROCESSLIST "
						+ "WHERE ID <> CONNECTION_ID() AND COMMAND NOT IN ('Daemon', 'Binlog Dump') "
						+ "AND (DB IS NULL OR DB = DATABASE())")) {
			while (result.next()) {
				String host = result.getString(3);
				String info = result.getString(5);
				boolean running = !"Sleep".equals(result.getString(4));
				Instant stateBegan = UtcTimes.read(result, 6);
				Instant now = Objects.requireNonNull(UtcTimes.read(result, 7));
				boolean waiting = info != null && info.contains("GET_LOCK(CONCAT('schemagate_'");
				sessions.add(new ClientSession(result.getLong(1), String.valueOf(result.getString(2)),
						waiting ? "schemagate waiting" : null,
						(host != null && host.lastIndexOf(':') > 0) ? host.substring(0, host.lastIndexOf(':')) : host,
						null, (running || stateBegan == null) ? now : stateBegan, false));
			}
		}
		return sessions;
	}

	// connection ids grow by one for each session the server accepts
	@Override
	public Optional<SessionMark> markSessions(Connection session) throws SQLException {
		try (Statement statement = session.createStatement();
				ResultSet result = statement
					.executeQuery("SELECT MAX(ID), UTC_TIMESTAMP(6) FROM information_schema.PROCESSLIST")) {
			result.next();
			return Optional.of(new SessionMark(result.getLong(1), Objects.requireNonNull(UtcTimes.read(result, 2))));
		}
	}

	/**
	 * Returns the statement that bounds how long the session's statements may run.
	 * @param timeout the bound, not zero
	 * @return the statement
	 */
	abstract String limitStatementTime(Duration timeout);

	/**
	 * Returns the statement that gives the session the server's bound again.
	 * @return the statement
	 */
	abstract String resetStatementTime();

	/**
	 * Returns how the server adds a column that may already be there.
	 * @return the clause, before the column's name
	 */
	abstract String addColumnClause();

	/**
	 * Returns an expression of {@code information_schema.PROCESSLIST}'s columns: when a
	 * session's state began, in UTC.
	 * @return the expression
	 */
	abstract String stateBegan();

	// a table named with its schema, which on MariaDB is a database, or in the current one
	private static String tableIs() {
		return "TABLE_SCHEMA = IFNULL(?, DATABASE()) AND UPPER(TABLE_NAME) = UPPER(?)";
	}

	private static List<@Nullable Object> schemaAndTable(String tableName) {
		int dot = tableName.indexOf('.');
		List<@Nullable Object> parts = new ArrayList<>();
		parts.add((dot > 0) ? tableName.substring(0, dot) : null);
		parts.add(tableName.substring(dot + 1));
		return parts;
	}

	private static void setSchemaAndTable(PreparedStatement statement, int first, String tableName)
			throws SQLException {
		List<@Nullable Object> parts = schemaAndTable(tableName);
		statement.setObject(first, parts.get(0));
		statement.setObject(first + 1, parts.get(1));
	}

	static @Nullable OffsetDateTime utc(@Nullable Timestamp timestamp) {
		return (timestamp != null) ? timestamp.toInstant().atOffset(ZoneOffset.UTC) : null;
	}

	private static String unqualified(String tableName) {
		return tableName.substring(tableName.lastIndexOf('.') + 1);
	}

	private static String id(long lockId) {
		return Long.toHexString(lockId);
	}

}
