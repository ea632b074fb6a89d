package dev.schemagate.liquibase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import dev.schemagate.database.GateDatabase.ClientSession;
import dev.schemagate.database.GateDatabase.SessionMark;
import dev.schemagate.fleet.FleetRegistry;
import dev.schemagate.gate.FencedDataSource;
import dev.schemagate.gate.ForeignLockTimeoutException;
import dev.schemagate.gate.MigrationProgress;
import dev.schemagate.status.ForeignLock;
import liquibase.Liquibase;
import liquibase.exception.LockException;
import liquibase.exception.UnexpectedLiquibaseException;
import liquibase.lockservice.LockServiceFactory;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Liquibase's own lock row ({@code DATABASECHANGELOGLOCK}), which processes outside the
 * fleet take as well: an instance without schemagate, the Liquibase command line, a build
 * plugin. The leader clears a locked row only when its holder is provably gone, and
 * otherwise waits for it, as Liquibase itself would.
 * <p>
 * A holder is provably gone when:
 * <ul>
 * <li>the row carries the {@link FencedDataSource#stamp() stamp} of a fence that nobody
 * holds: a leader of the fleet took it on its fenced session, which has ended; or</li>
 * <li>no database session that may have taken it is left. Liquibase takes the row with
 * {@code NOW()}, written in its session's time zone, and goes on using that session; so
 * its session began before the lock was granted and was last active after it. A session
 * may have taken the lock only when the offset of some time zone in use then (after the
 * Java runtime's time-zone rules) puts the granted time between the session's start and
 * its last activity. On a database that does not tell when a session began, a session
 * began after the {@link dev.schemagate.database.GateDatabase.SessionMark mark} an instance of
 * the fleet recorded in the registry if its id is above it. Sessions of the fleet's waiting
 * instances never run Liquibase and do not count.</li>
 * </ul>
 * Anything else may be a live holder: a wrong wait costs time, a wrong clear runs the same
 * changesets twice.
 */
final class ChangelogLock {

	private static final Log logger = LogFactory.getLog(ChangelogLock.class);

	private static final Duration POLL_INTERVAL = Duration.ofSeconds(1);

	private static final Duration REPORT_INTERVAL = Duration.ofSeconds(5);

	private static final Duration MARK_MARGIN = Duration.ofSeconds(1);

	private final String table;

	private final FencedDataSource fenced;

	private final ForeignLockWait wait;

	// the row as first seen locked, and the sessions there then: a holder alive now was
	private @Nullable Row sighted;

	private Set<Long> sessionsAtSighting = Set.of();

	ChangelogLock(LiquibaseSelection selection, FencedDataSource fenced, ForeignLockWait wait) {
		this.table = selection.changelogLockTable();
		this.fenced = fenced;
		this.wait = wait;
	}

	/**
	 * Waits until Liquibase's lock is free, clearing it when its holder is provably gone.
	 * Only the holder of the gate's fence may call this.
	 * @param progress where to report the wait
	 * @throws SQLException if the database fails
	 * @throws ForeignLockTimeoutException if a possible holder is still there after the
	 * timeout
	 */
	void awaitFree(MigrationProgress progress) throws SQLException {
		Duration timeout = this.wait.timeout();
		Instant start = Instant.now();
		Instant nextReport = start;
		Connection connection = this.fenced.getConnection();
		while (true) {
			Optional<Row> locked = readLocked(connection);
			if (locked.isEmpty()) {
				return;
			}
			Row row = locked.get();
			List<String> possibleHolders = possibleHolders(connection, row, grantedSlackMillis(connection));
			if (possibleHolders.isEmpty()) {
				if (clear(connection, row)) {
					return;
				}
				// the row changed meanwhile: look at it again
				continue;
			}
			ForeignLock lock = new ForeignLock(this.table, row.lockedBy(), row.lockedSince(), possibleHolders);
			Instant now = Instant.now();
			Duration waited = Duration.between(start, now);
			if (waited.compareTo(timeout) >= 0) {
				throw new ForeignLockTimeoutException(lock, waited);
			}
			if (!now.isBefore(nextReport)) {
				progress.waitingForForeignLock(lock, waited);
				nextReport = now.plus(REPORT_INTERVAL);
			}
			sleep(POLL_INTERVAL);
		}
	}

	/**
	 * Takes Liquibase's lock through Liquibase itself, as its update would, and stamps it as
	 * this leader's: the update then finds it held and releases it when done.
	 * @param liquibase the Liquibase about to migrate on the fenced session
	 */
	void take(Liquibase liquibase) {
		try {
			LockServiceFactory.getInstance().getLockService(liquibase.getDatabase()).waitForLock();
			Connection connection = this.fenced.getConnection();
			try (PreparedStatement statement = connection.prepareStatement("UPDATE " + this.table
					+ " SET LOCKEDBY = LEFT(CONCAT(?, ' ', COALESCE(LOCKEDBY, '')), 255) WHERE ID = 1 AND LOCKED")) {
				statement.setString(1, this.fenced.stamp());
				statement.executeUpdate();
			}
			if (!connection.getAutoCommit()) {
				connection.commit();
			}
		}
		catch (LockException | SQLException ex) {
			throw new UnexpectedLiquibaseException(ex);
		}
	}

	/**
	 * Releases Liquibase's lock if it still carries this leader's stamp: Liquibase releases
	 * it itself unless it failed before its update began.
	 */
	void releaseIfStamped() {
		try {
			Connection connection = this.fenced.getConnection();
			if (!connection.getAutoCommit()) {
				connection.rollback();
				connection.setAutoCommit(true);
			}
			try (PreparedStatement statement = connection.prepareStatement("UPDATE " + this.table
					+ " SET LOCKED = FALSE, LOCKGRANTED = NULL, LOCKEDBY = NULL WHERE ID = 1 AND LOCKED"
					+ " AND LEFT(LOCKEDBY, ?) = ?")) {
				statement.setInt(1, this.fenced.stamp().length());
				statement.setString(2, this.fenced.stamp());
				statement.executeUpdate();
			}
		}
		catch (SQLException ex) {
			// the session is gone: the next leader finds the stamp and clears the row
			logger.debug("Could not check Liquibase's lock after migrating", ex);
		}
	}

	private Optional<Row> readLocked(Connection connection) throws SQLException {
		try (PreparedStatement select = connection
			.prepareStatement("SELECT LOCKEDBY, LOCKGRANTED FROM " + this.table + " WHERE ID = 1 AND LOCKED");
				ResultSet result = select.executeQuery()) {
			return result.next() ? Optional.of(new Row(result.getString(1), result.getObject(2, LocalDateTime.class)))
					: Optional.empty();
		}
		catch (SQLException ex) {
			if (this.fenced.database().tableMissing(ex)) {
				// a database Liquibase has never run on: nothing is locked
				return Optional.empty();
			}
			throw ex;
		}
	}

	// the database's clock gives all three times; only the lock table's column may round
	// the granted time, to its precision (Liquibase's own table keeps microseconds)
	private long grantedSlackMillis(Connection connection) throws SQLException {
		int digits = this.fenced.database().fractionalDigits(connection, this.table, "LOCKGRANTED");
		return Math.max(1, Math.round(1000 / Math.pow(10, digits)));
	}

	private List<String> possibleHolders(Connection connection, Row row, long slackMillis) throws SQLException {
		Optional<Boolean> stampedSessionEnded = this.fenced.stampedSessionEnded(row.lockedBy());
		if (stampedSessionEnded.isPresent()) {
			return stampedSessionEnded.get() ? List.of()
					: List.of("the fenced session of a schemagate leader under another lock key");
		}
		List<ClientSession> sessions = this.fenced.database().otherSessions(connection);
		List<SessionMark> marks = sessions.stream().anyMatch((session) -> session.began() == null)
				? FleetRegistry.sessionMarks(connection, this.wait.gateTablePrefix()) : List.of();
		if (!row.equals(this.sighted)) {
			this.sighted = row;
			this.sessionsAtSighting = sessions.stream().map(ClientSession::id).collect(Collectors.toSet());
		}
		List<String> holders = new ArrayList<>();
		Set<ZoneOffset> offsets = (row.lockedSince() != null) ? offsetsInUseAround(row.lockedSince()) : Set.of();
		for (ClientSession session : sessions) {
			String applicationName = session.applicationName();
			if (!this.sessionsAtSighting.contains(session.id())) {
				// began after the row was seen locked, so after the lock was taken
				continue;
			}
			if (applicationName != null && applicationName.startsWith("schemagate ") && !session.holdsAdvisoryLock()) {
				// an instance of the fleet waiting for the fence: it runs nothing
				continue;
			}
			Instant began = (session.began() != null) ? session.began() : beganAfter(session, marks);
			if (row.lockedSince() == null
					|| mayHaveTaken(row.lockedSince(), offsets, began, session.lastActive(), slackMillis)) {
				holders.add(describe(session));
			}
		}
		return holders;
	}

	// on a database that does not tell when a session began: the latest mark of an instance
	// of the fleet that it began after, else any time; a session the server has accepted
	// may join its list a moment after its id is given
	private static Instant beganAfter(ClientSession session, List<SessionMark> marks) {
		return marks.stream()
			.filter((mark) -> mark.covers(session.id()))
			.map((mark) -> mark.at().minus(MARK_MARGIN))
			.max(Instant::compareTo)
			.orElse(Instant.EPOCH);
	}

	/**
	 * Whether a session that began and was last active at the given times may have taken a
	 * lock granted at the given local time, in some time zone in use.
	 * @param granted the lock's granted time as the holder's session wrote it
	 * @param began when the session began
	 * @param lastActive when it was last active
	 * @param slackMillis how far the granted time may be rounded
	 * @return whether the session may hold the lock
	 */
	static boolean mayHaveTaken(@Nullable LocalDateTime granted, Instant began, Instant lastActive,
			long slackMillis) {
		return granted == null
				|| mayHaveTaken(granted, offsetsInUseAround(granted), began, lastActive, slackMillis);
	}

	private static boolean mayHaveTaken(LocalDateTime granted, Set<ZoneOffset> offsets, Instant began,
			Instant lastActive, long slackMillis) {
		long grantedAsUtc = granted.toInstant(ZoneOffset.UTC).toEpochMilli();
		for (ZoneOffset offset : offsets) {
			long takenAt = grantedAsUtc - offset.getTotalSeconds() * 1000L;
			if (takenAt >= began.toEpochMilli() - slackMillis && takenAt <= lastActive.toEpochMilli() + slackMillis) {
				return true;
			}
		}
		return false;
	}

	// every offset from UTC that some time zone has within a day of the given time
	private static Set<ZoneOffset> offsetsInUseAround(LocalDateTime time) {
		Set<ZoneOffset> offsets = new HashSet<>();
		Instant around = time.toInstant(ZoneOffset.UTC);
		for (String zone : ZoneId.getAvailableZoneIds()) {
			ZoneRules rules = ZoneId.of(zone).getRules();
			for (int days = -1; days <= 1; days++) {
				offsets.add(rules.getOffset(around.plus(Duration.ofDays(days))));
			}
		}
		return offsets;
	}

	private static String describe(ClientSession session) {
		String name = session.applicationName();
		return "session " + session.id() + " of user " + session.user()
				+ ((name != null && !name.isEmpty()) ? " '" + name + "'" : "")
				+ ((session.client() != null) ? " from " + session.client() : "")
				+ ((session.began() != null) ? ", connected at " + session.began() : "") + ", last active at "
				+ session.lastActive();
	}

	private boolean clear(Connection connection, Row row) throws SQLException {
		// the row as it was read, or it changed meanwhile
		try (PreparedStatement update = connection.prepareStatement("UPDATE " + this.table
				+ " SET LOCKED = FALSE, LOCKGRANTED = NULL, LOCKEDBY = NULL WHERE ID = 1 AND LOCKED"
				+ ((row.lockedBy() != null) ? " AND LOCKEDBY = ?" : " AND LOCKEDBY IS NULL")
				+ ((row.lockedSince() != null) ? " AND LOCKGRANTED = ?" : " AND LOCKGRANTED IS NULL"))) {
			int index = 1;
			if (row.lockedBy() != null) {
				update.setString(index++, row.lockedBy());
			}
			if (row.lockedSince() != null) {
				update.setObject(index, row.lockedSince());
			}
			if (update.executeUpdate() == 0) {
				return false;
			}
		}
		logger.warn("Released Liquibase's lock in " + this.table + ", left by " + row.lockedBy() + " since "
				+ row.lockedSince() + ": the session that took it has ended");
		return true;
	}

	private static void sleep(Duration duration) {
		try {
			Thread.sleep(duration.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for Liquibase's lock", ex);
		}
	}

	private record Row(@Nullable String lockedBy, @Nullable LocalDateTime lockedSince) {
	}

}
