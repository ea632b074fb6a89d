package dev.schemagate.database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Collectors;

import dev.schemagate.status.LeaderProgress;
import dev.schemagate.status.LockHolder;
import org.jspecify.annotations.Nullable;

/**
 * Everything the gate says to its database, in one place: the fence (a lock that lives
 * exactly as long as one session), who holds it, ending a frozen holder, the waiting poll
 * and its wake-up, what blocks the migration's session, the session's settings, and the
 * gate's tables. The gate's protocol ({@code dev.schemagate.gate}) is written against this
 * interface only; a database is one implementation of it, and its tests.
 * <p>
 * A fence is named by a 64-bit id, which the gate derives from the lock key. Sessions are
 * named by the id the database gives them ({@code pg_backend_pid()} on PostgreSQL).
 * Implementations are found with {@link java.util.ServiceLoader}, listed in
 * {@code META-INF/services/dev.schemagate.database.GateDatabase}, and need a public
 * constructor without parameters.
 */
public interface GateDatabase {

	/**
	 * Tells whether this implementation speaks to a database.
	 * @param product the database's product name, as its JDBC driver reports it
	 * @param version the server's version, as the driver reports it: MySQL's driver reports
	 * a MariaDB server as MySQL, and only the version tells
	 * @return whether it does
	 */
	boolean supports(String product, String version);

	/**
	 * Returns the database's name, as its JDBC driver reports its product.
	 * @return the name
	 */
	String name();

	/**
	 * Prepares a session to wait for the fence and then hold it: names it, so that others can
	 * tell who holds the fence, and bounds how long its database keeps it once its client no
	 * longer answers.
	 * @param session a session of its own, in auto-commit
	 * @param applicationName the name to give it
	 * @param deadPeerTimeout how soon the database should drop it once its client vanished
	 * @return what was set, for {@link #resetSession}
	 * @throws SQLException if the database fails
	 */
	SessionSettings prepareSession(Connection session, String applicationName, Duration deadPeerTimeout)
			throws SQLException;

	/**
	 * Bounds how long the migration's statements on the fenced session wait for a lock and
	 * run; zero leaves the session's own bound.
	 * @param session the fenced session
	 * @param lockTimeout the lock wait
	 * @param statementTimeout the run time
	 * @return the session's id, by which others see what blocks it
	 * @throws SQLException if the database fails
	 */
	long limitWaits(Connection session, Duration lockTimeout, Duration statementTimeout) throws SQLException;

	/**
	 * Resets what {@link #prepareSession} and {@link #limitWaits} set, before the session
	 * goes back to its pool.
	 * @param session the session
	 * @param settings what was set
	 * @param waitsLimited whether {@link #limitWaits} ran on it
	 * @throws SQLException if the database fails
	 */
	void resetSession(Connection session, SessionSettings settings, boolean waitsLimited) throws SQLException;

	/**
	 * Asks, in one statement, for the fence if it is free, else who holds it, the version of
	 * the lease row and, when asked for, the leader's progress.
	 * @param waitingSession the waiting session
	 * @param poll what to ask
	 * @return what the poll saw
	 * @throws SQLException if the database fails
	 * @throws SharedSessionException if the session already held the fence, as a session a
	 * pooler shares with other clients would
	 */
	Sighting poll(Connection waitingSession, Poll poll) throws SQLException;

	/**
	 * Takes one of a fence's listener slots, session locks that bound how many instances
	 * wait with a session of their own.
	 * @param session a session of this instance's own, not one a pooler shares
	 * @param lockId the fence
	 * @param slots how many slots there are
	 * @return the slot taken, empty when every slot is held
	 * @throws SQLException if the database fails
	 * @throws SharedSessionException if the slot was taken by a session shared with other
	 * clients; that session has been ended so that it does not keep the slot
	 */
	OptionalInt takeListenerSlot(Connection session, long lockId, int slots) throws SQLException;

	/**
	 * Ends another session at once, rolling back what it runs and letting go of its locks.
	 * @param session the session to run it on
	 * @param sessionId the id of the session to end
	 * @throws SQLException if the database fails or refuses
	 */
	void endSession(Connection session, long sessionId) throws SQLException;

	/**
	 * Returns the expression a poll counts the fleet's live instances with.
	 * @param fleet the registry
	 * @param parameters where to add the expression's parameters
	 * @return the expression, a subquery of one number
	 */
	default String fleetSize(Fleet fleet, List<Object> parameters) {
		parameters.add(fleet.lockKey());
		parameters.add(fleet.window().toNanos() / 1000);
		return "(SELECT count(*) FROM " + fleet.table() + " WHERE LOCK_KEY = ? AND HEARTBEAT_AT >= "
				+ microsecondsAgo() + ")";
	}

	/**
	 * Lets go of a listener slot this session holds.
	 * @param session the session holding it
	 * @param lockId the fence
	 * @param slot the slot
	 * @throws SQLException if the database fails
	 */
	void releaseListenerSlot(Connection session, long lockId, int slot) throws SQLException;

	/**
	 * Tells whether the session running the query holds the fence: right after taking it,
	 * a session shared with other clients may not.
	 * @param session the session
	 * @param lockId the fence
	 * @return whether it holds it
	 * @throws SQLException if the database fails
	 */
	boolean holdsFence(Connection session, long lockId) throws SQLException;

	/**
	 * Reads who holds the fence.
	 * @param session any session on the database
	 * @param lockId the fence
	 * @return the holding session, empty when nobody holds it
	 * @throws SQLException if the database fails
	 */
	Optional<LockHolder> fenceHolder(Connection session, long lockId) throws SQLException;

	/**
	 * Tells whether a session other than the one asking holds a fence.
	 * @param session the session asking
	 * @param lockId the fence
	 * @return whether another session holds it
	 * @throws SQLException if the database fails
	 */
	boolean fenceHeldElsewhere(Connection session, long lockId) throws SQLException;

	/**
	 * Lets go of the fence and tells the waiters at once.
	 * @param session the fenced session, in auto-commit
	 * @param lockId the fence
	 * @throws SQLException if the database fails
	 */
	void releaseFence(Connection session, long lockId) throws SQLException;

	/**
	 * Ends the session of a frozen holder, only while it still holds the fence.
	 * @param session the waiting session
	 * @param lockId the fence
	 * @param holder the holder seen
	 * @return whether its session was ended
	 * @throws SQLException if the database fails, or refuses as {@link #refusesToEnd} tells
	 */
	boolean endHolder(Connection session, long lockId, LockHolder holder) throws SQLException;

	/**
	 * Tells whether a failure of {@link #endHolder} means that this database user may not
	 * end another's session.
	 * @param failure the failure
	 * @return whether it does
	 */
	boolean refusesToEnd(SQLException failure);

	/**
	 * Says what lets one database user end another's session, for the instances to be told
	 * when {@link #refusesToEnd} says they may not.
	 * @return the advice, such as "the same database role"
	 */
	String rightToEnd();

	/**
	 * Cancels the statement a session runs, from another session.
	 * @param session the other session
	 * @param sessionId the id of the session whose statement to cancel
	 * @throws SQLException if the database fails
	 */
	void cancelStatement(Connection session, long sessionId) throws SQLException;

	/**
	 * Starts listening for the fence's release on a waiting session, before its first
	 * attempt to take the fence, so that no release in between goes unheard.
	 * @param waitingSession the waiting session
	 * @param lockId the fence
	 * @throws SQLException if the database fails
	 */
	void listenForRelease(Connection waitingSession, long lockId) throws SQLException;

	/**
	 * Stops listening, before the session goes back to its pool or migrates.
	 * @param session the session
	 * @param lockId the fence
	 * @throws SQLException if the database fails
	 */
	void stopListening(Connection session, long lockId) throws SQLException;

	/**
	 * Waits for the fence's release, or until the timeout; a database that cannot tell
	 * sleeps until the timeout.
	 * @param waitingSession the listening session
	 * @param lockId the fence
	 * @param timeout how long to wait
	 * @return whether a holder let go of the fence meanwhile
	 * @throws SQLException if the database fails
	 * @throws InterruptedException if interrupted while waiting
	 */
	boolean awaitRelease(Connection waitingSession, long lockId, Duration timeout)
			throws SQLException, InterruptedException;

	/**
	 * Reads the sessions a session waits for.
	 * @param session any session on the database
	 * @param sessionId the id of the waiting session
	 * @return the blocking sessions, oldest transaction first
	 * @throws SQLException if the database fails
	 */
	List<Blocker> blockers(Connection session, long sessionId) throws SQLException;

	/**
	 * Tells whether a table exists.
	 * @param session any session
	 * @param tableName the table, optionally qualified by its schema
	 * @return whether it exists
	 * @throws SQLException if the database fails
	 */
	boolean tableExists(Connection session, String tableName) throws SQLException;

	/**
	 * Tells whether a table has a column.
	 * @param session any session
	 * @param tableName the table
	 * @param column the column
	 * @return whether it has it
	 * @throws SQLException if the database fails
	 */
	boolean hasColumn(Connection session, String tableName, String column) throws SQLException;

	/**
	 * Tells whether creating a table failed because another session created it meanwhile.
	 * @param failure the failure
	 * @return whether it did
	 */
	boolean createdConcurrently(SQLException failure);

	/**
	 * Tells whether a statement failed because a table it names does not exist.
	 * @param failure the failure
	 * @return whether it did
	 */
	boolean tableMissing(SQLException failure);

	/**
	 * Returns the statement that creates a table of the gate unless it exists.
	 * @param table which table
	 * @param tableName its name, optionally qualified by its schema
	 * @return the statement
	 */
	String createTable(GateTable table, String tableName);

	/**
	 * Returns the statement that adds a column a table created by an earlier version lacks.
	 * @param table which table
	 * @param tableName its name
	 * @param column the column
	 * @return the statement
	 */
	String addColumn(GateTable table, String tableName, String column);

	/**
	 * Returns the SQL expression of the database's current time, in UTC, as the gate's tables
	 * store times.
	 * @return the expression
	 */
	String now();

	/**
	 * Returns the SQL expression of the time some microseconds before {@link #now()}, which
	 * it takes as one {@code long} parameter.
	 * @return the expression
	 */
	String microsecondsAgo();

	/**
	 * Returns the clause that turns an {@code INSERT} into an update of the row whose key it
	 * would duplicate.
	 * @param keyColumns the key's columns, separated by commas
	 * @param assignments what to set on the existing row, where {@link #inserted} names the
	 * values the insert carried
	 * @return the clause, to append to the insert
	 */
	String onDuplicateKey(String keyColumns, String assignments);

	/**
	 * Names, in {@link #onDuplicateKey}'s assignments, the value an insert carried for a
	 * column.
	 * @param column the column
	 * @return the expression
	 */
	String inserted(String column);

	/**
	 * Returns the assignments, for {@link #onDuplicateKey}, that set columns to the values the
	 * insert carried.
	 * @param columns the columns
	 * @return the assignments, separated by commas
	 */
	default String assignInserted(String... columns) {
		return Arrays.stream(columns).map((column) -> column + " = " + inserted(column)).collect(Collectors.joining(", "));
	}

	/**
	 * Sets a list of texts, as a column of the gate's tables holds it.
	 * @param statement the statement
	 * @param index the parameter's index
	 * @param values the texts, {@code null} for SQL {@code NULL}
	 * @throws SQLException if the database fails
	 */
	void setTexts(PreparedStatement statement, int index, @Nullable List<String> values) throws SQLException;

	/**
	 * Reads a list of texts from a column of the gate's tables.
	 * @param result the result, on its current row
	 * @param index the column's index
	 * @return the texts, {@code null} for SQL {@code NULL}
	 * @throws SQLException if the database fails
	 */
	@Nullable List<String> texts(ResultSet result, int index) throws SQLException;

	/**
	 * Returns the condition that a column holding a list of texts shares one with a list
	 * given as one parameter, set with {@link #setTexts}.
	 * @param column the column
	 * @return the condition
	 */
	String sharesAText(String column);

	/**
	 * Keeps other sessions from inserting into or updating a table until the session's
	 * transaction ends, while they may still read it.
	 * @param session a session in a transaction
	 * @param tableName the table
	 * @throws SQLException if the database fails
	 */
	void lockAgainstWrites(Connection session, String tableName) throws SQLException;

	/**
	 * Makes every later transaction of a session read-only, for the server to enforce, or
	 * gives it back the database's default.
	 * @param session the session
	 * @param readOnly whether to make it read-only
	 * @throws SQLException if the database fails
	 */
	void readOnlySession(Connection session, boolean readOnly) throws SQLException;

	/**
	 * Replaces how long a session's statements wait for a lock.
	 * @param session the session
	 * @param setting what {@link #replaceLockTimeout} returned earlier, or {@code null} for
	 * no bound
	 * @return the setting replaced, to restore it with
	 * @throws SQLException if the database fails
	 */
	String replaceLockTimeout(Connection session, @Nullable String setting) throws SQLException;

	/**
	 * Tells what a failure is, as far as the gate cares.
	 * @param failure the failure
	 * @return what it is, {@link Failure#OTHER} when this database does not tell
	 */
	Failure failure(SQLException failure);

	/**
	 * Returns how many fractional digits of a second a column of times keeps.
	 * @param session any session
	 * @param tableName the table
	 * @param column the column
	 * @return the digits, 6 when the column is not found
	 * @throws SQLException if the database fails
	 */
	int fractionalDigits(Connection session, String tableName, String column) throws SQLException;

	/**
	 * Reads the client sessions on the current database other than the one asking.
	 * @param session the session asking
	 * @return the sessions
	 * @throws SQLException if the database fails
	 */
	List<ClientSession> otherSessions(Connection session) throws SQLException;

	/**
	 * Marks the sessions that begin from now on, on a database that does not tell when a
	 * session began but numbers its sessions in the order they begin: every session
	 * numbered above the mark's highest began at or after its time. Session numbers start
	 * again when the server restarts, which ends every session older than the mark, so a
	 * mark stays true across restarts.
	 * @param session the session asking
	 * @return the mark, or empty on a database that tells when each session began
	 * @throws SQLException if the database fails
	 */
	default Optional<SessionMark> markSessions(Connection session) throws SQLException {
		return Optional.empty();
	}

	/**
	 * What a failure is, as far as the gate cares.
	 */
	enum Failure {

		/** The session was lost: a new one may succeed. */
		CONNECTION_LOST,

		/** The database turned the user or the client away: no retry heals it. */
		CONNECTION_REFUSED,

		/** The database named in the URL does not exist: no retry heals it. */
		DATABASE_MISSING,

		/** A statement waited longer than the session's lock timeout. */
		LOCK_TIMEOUT,

		/** A deadlock or a serialization failure: running it again may succeed. */
		CONFLICT,

		/** Anything else. */
		OTHER

	}

	/**
	 * A client session on the database.
	 *
	 * @param id the database's id of it
	 * @param user its database user
	 * @param applicationName the name it gave itself, if the database keeps one
	 * @param client its client's address
	 * @param began when it began, by the database's clock, if the database tells
	 * @param lastActive when its current state began, or now when it runs a statement
	 * @param holdsAdvisoryLock whether it holds a lock that lives as long as a session, if
	 * the database tells
	 */
	record ClientSession(long id, String user, @Nullable String applicationName, @Nullable String client,
			@Nullable Instant began, Instant lastActive, boolean holdsAdvisoryLock) {
	}

	/**
	 * Sessions that began after a moment, on a database that does not tell when each began.
	 *
	 * @param highestId the highest session id there was at that moment
	 * @param at the moment, by the database's clock
	 */
	record SessionMark(long highestId, Instant at) {

		/**
		 * Whether a session began at or after the mark's moment.
		 * @param sessionId the session's id
		 * @return whether its id is above the highest one at the mark
		 */
		public boolean covers(long sessionId) {
			return sessionId > this.highestId;
		}

	}

	/**
	 * The tables of the gate.
	 */
	enum GateTable {

		/** Spring Integration's lock table, the lease. */
		LOCK,

		/** The leader's live progress. */
		LEADER,

		/** What each leader did with each changeset. */
		HISTORY,

		/** The fleet registry. */
		INSTANCE,

		/** The recorded rollbacks of applied changesets, for a downgrade. */
		ROLLBACK

	}

	/**
	 * What {@link #prepareSession} set on a session.
	 *
	 * @param clientChecked whether the database checks, while a statement runs, that its
	 * client is still there
	 * @param tcpBounded whether the session's TCP keepalives and user timeout are set
	 */
	record SessionSettings(boolean clientChecked, boolean tcpBounded) {
	}

	/**
	 * What a waiting poll asks.
	 *
	 * @param lockId the fence
	 * @param leaseTable the lease's table
	 * @param leaseTableKnown whether the lease's table was seen to exist: if not, the poll
	 * asks whether it does instead of reading it
	 * @param leaseRegion the lease's region
	 * @param leaseKey the lease's key, as its table stores it
	 * @param leaderTable the leader's table
	 * @param leaderTableKnown whether the leader's table was seen to exist
	 * @param leaderKey the leader row's key
	 * @param withProgress whether to read the leader's progress
	 * @param take whether to take the fence if it is free: only on a session of the
	 * instance's own, never on one borrowed from a pool a pooler may share
	 * @param fleet the registry whose live instances to count, {@code null} for none
	 */
	record Poll(long lockId, String leaseTable, boolean leaseTableKnown, String leaseRegion, String leaseKey,
			String leaderTable, boolean leaderTableKnown, String leaderKey, boolean withProgress, boolean take,
			@Nullable Fleet fleet) {

		/**
		 * A poll of a waiter with a session of its own, which takes the fence if it is free.
		 * @param lockId the fence
		 * @param leaseTable the lease's table
		 * @param leaseTableKnown whether the lease's table was seen to exist
		 * @param leaseRegion the lease's region
		 * @param leaseKey the lease's key
		 * @param leaderTable the leader's table
		 * @param leaderTableKnown whether the leader's table was seen to exist
		 * @param leaderKey the leader row's key
		 * @param withProgress whether to read the leader's progress
		 */
		public Poll(long lockId, String leaseTable, boolean leaseTableKnown, String leaseRegion, String leaseKey,
				String leaderTable, boolean leaderTableKnown, String leaderKey, boolean withProgress) {
			this(lockId, leaseTable, leaseTableKnown, leaseRegion, leaseKey, leaderTable, leaderTableKnown, leaderKey,
					withProgress, true, null);
		}

	}

	/**
	 * The fleet registry's live instances, counted by a poll so that waiters that ask
	 * through a pool spread their asks over the fleet.
	 *
	 * @param table the registry's table, known to exist
	 * @param lockKey the registry's key
	 * @param window how recent a heartbeat counts as live
	 */
	record Fleet(String table, String lockKey, Duration window) {
	}

	/**
	 * What one poll saw.
	 *
	 * @param acquired whether the poll took the fence; nothing else is read then
	 * @param holder who holds the fence, empty when nobody does
	 * @param leaseVersion the version of the lease row, which each renewal changes; null
	 * when there is no row or its table was not known
	 * @param leaseTableExists whether the lease's table exists
	 * @param progress the leader's progress, when it was asked for and is published
	 * @param leaderTableExists whether the leader's table exists
	 * @param fleetSize the registry's live instances, -1 when not counted
	 */
	record Sighting(boolean acquired, Optional<LockHolder> holder, @Nullable String leaseVersion,
			boolean leaseTableExists, Optional<LeaderProgress> progress, boolean leaderTableExists, int fleetSize) {

		/** A poll that took the fence. */
		public static final Sighting ACQUIRED = new Sighting(true, Optional.empty(), null, true, Optional.empty(),
				true, -1);

		/**
		 * What a poll saw that counted no fleet.
		 * @param acquired whether the poll took the fence
		 * @param holder who holds the fence
		 * @param leaseVersion the version of the lease row
		 * @param leaseTableExists whether the lease's table exists
		 * @param progress the leader's progress
		 * @param leaderTableExists whether the leader's table exists
		 */
		public Sighting(boolean acquired, Optional<LockHolder> holder, @Nullable String leaseVersion,
				boolean leaseTableExists, Optional<LeaderProgress> progress, boolean leaderTableExists) {
			this(acquired, holder, leaseVersion, leaseTableExists, progress, leaderTableExists, -1);
		}

	}

}
