package dev.schemagate.fleet;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import dev.schemagate.database.GateDatabase;
import dev.schemagate.database.GateDatabase.SessionMark;
import dev.schemagate.database.GateDatabases;
import dev.schemagate.database.UtcTimes;
import dev.schemagate.gate.DaemonThreads;
import dev.schemagate.gate.GateTableUnavailableException;
import dev.schemagate.gate.Instance;
import dev.schemagate.gate.Tables;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The instances of a fleet that share a lock ({@code SCHEMAGATE_INSTANCE}): each records
 * itself, with its version and what its changelog holds, before it migrates or serves, and
 * renews a heartbeat; one whose heartbeat is older than the expiry is gone (stopped, killed,
 * or frozen or cut off for that long). Every time is the database's, so that the clocks of
 * the instances do not matter.
 */
public final class FleetRegistry implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(FleetRegistry.class);

	// rows of instances gone for this long are removed
	private static final Duration FORGOTTEN_AFTER = Duration.ofDays(1);

	private final DataSource dataSource;

	private final String tableName;

	private final String lockKey;

	private final Instance instance;

	private final Registration registration;

	private final Duration expiry;

	private final ScheduledExecutorService heartbeat;

	private final GateDatabase database;

	private volatile boolean lapsed;

	// a table of an earlier version that this database user may not alter lacks the column
	private boolean changesetsRecorded = true;

	// on a database that does not tell when a session began: the sessions begun after this
	// instance started
	private @Nullable SessionMark sessionMark;

	private FleetRegistry(GateDatabase database, DataSource dataSource, String tablePrefix, String lockKey,
			Instance instance, Registration registration, Duration expiry) {
		this.database = database;
		this.dataSource = dataSource;
		this.tableName = tablePrefix + "INSTANCE";
		this.lockKey = lockKey;
		this.instance = instance;
		this.registration = registration;
		this.expiry = expiry;
		this.heartbeat = DaemonThreads.scheduler("schemagate-heartbeat");
	}

	/**
	 * Records this instance and starts renewing its heartbeat.
	 * @param dataSource the migration data source
	 * @param tablePrefix the prefix of schemagate's tables
	 * @param lockKey the lock the fleet shares
	 * @param instance this instance
	 * @param registration what this instance's changelog holds
	 * @param heartbeatInterval how often to renew the heartbeat
	 * @param expiry how old a heartbeat may be before its instance counts as gone
	 * @param sessionMark the sessions begun since this instance started, on a database
	 * that does not tell when a session began
	 * @return the registry
	 * @throws GateTableUnavailableException if the table is missing and cannot be created
	 * @throws SQLException if the database fails
	 */
	public static FleetRegistry register(DataSource dataSource, String tablePrefix, String lockKey, Instance instance,
			Registration registration, Duration heartbeatInterval, Duration expiry, @Nullable SessionMark sessionMark)
			throws SQLException {
		FleetRegistry registry;
		try (Connection connection = dataSource.getConnection()) {
			GateDatabase database = GateDatabases.of(connection);
			registry = new FleetRegistry(database, dataSource, tablePrefix, lockKey, instance, registration, expiry);
			Tables.ensureExists(database, connection, GateDatabase.GateTable.INSTANCE, registry.tableName);
			registry.changesetsRecorded = Tables.ensureColumn(database, connection, GateDatabase.GateTable.INSTANCE,
					registry.tableName, "CHANGESETS");
			if (sessionMark != null
					&& Tables.ensureColumn(database, connection, GateDatabase.GateTable.INSTANCE, registry.tableName,
							"SESSIONS_AFTER_ID")
					&& Tables.ensureColumn(database, connection, GateDatabase.GateTable.INSTANCE, registry.tableName,
							"SESSIONS_SINCE")) {
				registry.sessionMark = sessionMark;
			}
			registry.record(connection);
			try (PreparedStatement statement = connection.prepareStatement("DELETE FROM " + registry.tableName
					+ " WHERE HEARTBEAT_AT < " + database.microsecondsAgo())) {
				statement.setLong(1, micros(FORGOTTEN_AFTER));
				statement.executeUpdate();
			}
		}
		registry.heartbeat.scheduleWithFixedDelay(registry::beat, heartbeatInterval.toMillis(),
				heartbeatInterval.toMillis(), TimeUnit.MILLISECONDS);
		return registry;
	}

	/**
	 * Returns the registry's table.
	 * @return the table name
	 */
	public String tableName() {
		return this.tableName;
	}

	/**
	 * Reads the instances alive now, this one included if its heartbeat is current.
	 * @return the live instances, oldest first
	 * @throws SQLException if the database fails
	 */
	public List<Member> live() throws SQLException {
		try (Connection connection = this.dataSource.getConnection()) {
			return live(connection);
		}
	}

	/**
	 * Reads the instances alive now on a given session, such as one that holds the
	 * registry locked.
	 * @param connection the session
	 * @return the live instances, oldest first
	 * @throws SQLException if the database fails
	 */
	public List<Member> live(Connection connection) throws SQLException {
		return members(connection, "", null);
	}

	// the live instances, those whose row also matches a condition on an array of keys if one
	// is given
	private List<Member> members(Connection connection, String andWhere, @Nullable List<String> keys)
			throws SQLException {
		List<Member> live = new ArrayList<>();
		try (PreparedStatement statement = connection.prepareStatement("SELECT INSTANCE_ID, HOST, PID, APP_VERSION, "
				+ "CHANGELOG_HEAD, CONTRACTS, STARTED_AT, HEARTBEAT_AT FROM " + this.tableName
				+ " WHERE LOCK_KEY = ? AND HEARTBEAT_AT >= " + this.database.microsecondsAgo() + andWhere
				+ " ORDER BY STARTED_AT")) {
			statement.setString(1, this.lockKey);
			statement.setLong(2, micros(this.expiry));
			if (keys != null) {
				this.database.setTexts(statement, 3, keys);
			}
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					List<String> contracts = this.database.texts(result, 6);
					live.add(new Member(result.getString(1).strip(), result.getString(2), result.getLong(3),
							result.getString(4), result.getString(5), (contracts != null) ? contracts : List.of(),
							Objects.requireNonNull(UtcTimes.read(result, 7)),
							Objects.requireNonNull(UtcTimes.read(result, 8)),
							this.instance.id().equals(result.getString(1).strip())));
				}
			}
		}
		return live;
	}

	/**
	 * Reads the live instances other than this one whose changelog holds any of the given
	 * changesets: while one runs, what those changesets created is in use. An instance
	 * recorded without its changesets counts as holding them all.
	 * @param connection the session, such as one that holds the registry locked
	 * @param changesets the changesets, as {@code id:author}
	 * @return those instances, oldest first
	 * @throws SQLException if the database fails
	 */
	public List<Member> knowing(Connection connection, List<String> changesets) throws SQLException {
		if (!this.changesetsRecorded) {
			throw new IllegalStateException(this.tableName + " lacks the column CHANGESETS, which an instance with the "
					+ "right to alter it adds when it starts ("
					+ this.database.addColumn(GateDatabase.GateTable.INSTANCE, this.tableName, "CHANGESETS")
					+ "): until then no instance can tell which changesets the others use");
		}
		return members(connection, " AND (CHANGESETS IS NULL OR " + this.database.sharesAText("CHANGESETS") + ")",
				changesets)
			.stream()
			.filter((member) -> !member.self())
			.toList();
	}

	/**
	 * Reads the live instances other than this one whose changelog holds any of the given
	 * changesets, on a connection of its own.
	 * @param changesets the changesets, as {@code id:author}
	 * @return those instances, oldest first
	 * @throws SQLException if the database fails
	 */
	public List<Member> knowing(List<String> changesets) throws SQLException {
		try (Connection connection = this.dataSource.getConnection()) {
			return knowing(connection, changesets);
		}
	}

	/**
	 * Reads the marks of the sessions begun since each recorded instance started, on a
	 * database that does not tell when a session began.
	 * @param connection any session
	 * @param tablePrefix the prefix of schemagate's tables
	 * @return the marks, none when the registry does not keep them
	 * @throws SQLException if the database fails
	 */
	public static List<SessionMark> sessionMarks(Connection connection, String tablePrefix) throws SQLException {
		GateDatabase database = GateDatabases.of(connection);
		String tableName = tablePrefix + "INSTANCE";
		if (!database.hasColumn(connection, tableName, "SESSIONS_SINCE")) {
			return List.of();
		}
		List<SessionMark> marks = new ArrayList<>();
		try (Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT SESSIONS_AFTER_ID, SESSIONS_SINCE FROM " + tableName
						+ " WHERE SESSIONS_AFTER_ID IS NOT NULL AND SESSIONS_SINCE IS NOT NULL")) {
			while (result.next()) {
				marks.add(new SessionMark(result.getLong(1), Objects.requireNonNull(UtcTimes.read(result, 2))));
			}
		}
		return marks;
	}

	/**
	 * Locks the registry against new instances until the session's transaction ends: an
	 * instance that starts meanwhile records itself once it has, and then sees what the
	 * transaction did.
	 * @param connection a session in a transaction
	 * @throws SQLException if the database fails
	 */
	public void lockAgainstNewInstances(Connection connection) throws SQLException {
		this.database.lockAgainstWrites(connection, this.tableName);
	}

	/**
	 * Tells whether a heartbeat of this instance found its record expired: it was frozen or
	 * cut off from the database for longer than the expiry, and the fleet counted it as gone
	 * meanwhile.
	 * @return whether it lapsed since it registered
	 */
	public boolean lapsed() {
		return this.lapsed;
	}

	/**
	 * Renews the heartbeat now, as the heartbeat does on its schedule. A record found
	 * expired or removed is recorded again, and the lapse remembered.
	 */
	public void beat() {
		try (Connection connection = this.dataSource.getConnection()) {
			int renewed;
			try (PreparedStatement statement = connection.prepareStatement("UPDATE " + this.tableName
					+ " SET HEARTBEAT_AT = " + this.database.now() + " WHERE INSTANCE_ID = ? "
					+ "AND HEARTBEAT_AT >= " + this.database.microsecondsAgo())) {
				statement.setString(1, this.instance.id());
				statement.setLong(2, micros(this.expiry));
				renewed = statement.executeUpdate();
			}
			if (renewed == 0) {
				if (!this.lapsed) {
					logger.warn("This instance's record in " + this.tableName + " had expired (no heartbeat for over "
							+ this.expiry.toMillis() + "ms: frozen or cut off); the fleet counted it as gone meanwhile");
				}
				this.lapsed = true;
				record(connection);
			}
		}
		catch (SQLException | RuntimeException ex) {
			logger.debug("Could not renew the heartbeat in " + this.tableName, ex);
		}
	}

	private void record(Connection connection) throws SQLException {
		String changesets = this.changesetsRecorded ? ", CHANGESETS" : "";
		SessionMark mark = this.sessionMark;
		try (PreparedStatement statement = connection.prepareStatement("INSERT INTO " + this.tableName
				+ " (INSTANCE_ID, LOCK_KEY, HOST, PID, APP_VERSION, CHANGELOG_HEAD, CONTRACTS" + changesets
				+ ((mark != null) ? ", SESSIONS_AFTER_ID, SESSIONS_SINCE" : "") + ", STARTED_AT, HEARTBEAT_AT) "
				+ "VALUES (?, ?, ?, ?, ?, ?, ?" + (this.changesetsRecorded ? ", ?" : "") + ((mark != null) ? ", ?, ?" : "")
				+ ", " + this.database.now() + ", " + this.database.now() + ")"
				+ this.database.onDuplicateKey("INSTANCE_ID", "HEARTBEAT_AT = " + this.database.now()))) {
			statement.setString(1, this.instance.id());
			statement.setString(2, this.lockKey);
			statement.setString(3, this.instance.host());
			statement.setLong(4, this.instance.pid());
			statement.setString(5, this.instance.version());
			statement.setString(6, this.registration.changelogHead());
			this.database.setTexts(statement, 7, this.registration.contracts());
			int next = 8;
			if (this.changesetsRecorded) {
				this.database.setTexts(statement, next++, this.registration.changesets());
			}
			if (mark != null) {
				statement.setLong(next++, mark.highestId());
				UtcTimes.set(statement, next, mark.at());
			}
			statement.executeUpdate();
		}
	}

	/**
	 * Stops the heartbeat and removes this instance's record: the fleet no longer waits for
	 * it.
	 */
	@Override
	public void close() {
		this.heartbeat.shutdownNow();
		try (Connection connection = this.dataSource.getConnection();
				PreparedStatement statement = connection
					.prepareStatement("DELETE FROM " + this.tableName + " WHERE INSTANCE_ID = ?")) {
			statement.setString(1, this.instance.id());
			statement.executeUpdate();
		}
		catch (SQLException | RuntimeException ex) {
			logger.debug("Could not remove this instance from " + this.tableName + "; it expires", ex);
		}
	}

	private static long micros(Duration duration) {
		return duration.toNanos() / 1000;
	}

	/**
	 * What an instance's changelog holds, as the fleet needs to know it.
	 *
	 * @param changelogHead the last changeset of its changelog
	 * @param contracts its contract changesets, as {@code id:author}
	 * @param changesets every changeset of its changelog, as {@code id:author}
	 */
	public record Registration(@Nullable String changelogHead, List<String> contracts, List<String> changesets) {

		/**
		 * Records a changelog whose changesets are the given contract changesets alone.
		 * @param changelogHead the last changeset of its changelog
		 * @param contracts its contract changesets, as {@code id:author}
		 */
		public Registration(@Nullable String changelogHead, List<String> contracts) {
			this(changelogHead, contracts, contracts);
		}

	}

	/**
	 * A live instance of the fleet.
	 *
	 * @param instanceId its id
	 * @param host its host
	 * @param pid its process id
	 * @param appVersion the application's version, if known
	 * @param changelogHead the last changeset of its changelog
	 * @param contracts its contract changesets, as {@code id:author}
	 * @param startedAt when it registered
	 * @param heartbeatAt its last heartbeat
	 * @param self whether it is this instance
	 */
	public record Member(String instanceId, String host, long pid, @Nullable String appVersion,
			@Nullable String changelogHead, List<String> contracts, Instant startedAt, Instant heartbeatAt,
			boolean self) {

		@Override
		public String toString() {
			return "instance " + this.instanceId + " on " + this.host + " (pid " + this.pid
					+ ((this.appVersion != null) ? ", version " + this.appVersion : "") + ", changelog up to "
					+ this.changelogHead + ")";
		}

	}

}
