package dev.schemagate.gate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import javax.sql.DataSource;

import dev.schemagate.database.GateDatabase;
import dev.schemagate.database.SharedSessionException;
import dev.schemagate.status.LeaderProgress;
import dev.schemagate.status.LockHolder;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The fence: a lock held by one database session for the whole migration (a session-level
 * advisory lock on PostgreSQL), and the session the migration runs on.
 * <p>
 * The lock lives exactly as long as the session. A leader that is paused (SIGSTOP, a long
 * GC pause) keeps its session, so nobody else can migrate while it might resume; a leader
 * that dies loses its session at once, so the next instance takes over at once. Because
 * the changesets run on this very session, a leader whose session was cut cannot run
 * another statement as leader.
 */
final class Fence implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(Fence.class);

	private static final Duration REPORT_INTERVAL = Duration.ofSeconds(5);

	// the most often an instance without a session of its own asks, however small the fleet
	private static final Duration MIN_ASK_INTERVAL = Duration.ofMillis(250);

	private final Connection connection;

	private final long lockId;

	private final FencedDataSource dataSource;

	/**
	 * Longest a statement of a waiting session may go unanswered: past it the waiter counts
	 * its connection as lost rather than hang on a database it no longer reaches.
	 */
	static final Duration WAITING_NETWORK_TIMEOUT = Duration.ofSeconds(30);

	private final GateDatabase database;

	private final GateDatabase.SessionSettings sessionSettings;

	private boolean waited;

	private boolean held;

	private boolean waitsLimited;

	// the listener slot this waiting session holds, -1 for none
	private int listenerSlot = -1;

	private Fence(GateDatabase database, Connection connection, long lockId,
			GateDatabase.SessionSettings sessionSettings) {
		this.database = database;
		this.connection = connection;
		this.lockId = lockId;
		this.sessionSettings = sessionSettings;
		this.dataSource = new FencedDataSource(database, connection, lockId);
	}

	/**
	 * Takes the fence, waiting for its holder until the deadline. A few waiters, as many as
	 * there are listener slots, wait with a session of their own, woken at once when the
	 * holder lets go; the others hold no session while they wait: they ask through a pooled
	 * connection, one statement at a time, spread over the fleet, and open a session of
	 * their own only once the fence is free and still needed.
	 * @param request which fence, on which database, for which session
	 * @param waiting how to wait while another session holds it
	 * @return the fence, held by this instance, or empty once it is no longer needed
	 * @throws SQLException if the database fails
	 * @throws LockWaitTimeoutException if the deadline passes first
	 * @throws StartCancelledException if the shutdown signal is sent while waiting
	 */
	static Optional<Fence> acquire(Request request, Waiting waiting) throws SQLException {
		WaitState state = new WaitState(Instant.now(), waiting.asking());
		boolean askedFree = false;
		while (true) {
			Attempt attempt = attempt(request, waiting, state);
			if (attempt.fence() != null) {
				return Optional.of(attempt.fence());
			}
			if (attempt.outcome() == Outcome.NOT_NEEDED) {
				return Optional.empty();
			}
			if (askedFree) {
				state.seenHeldAfterAskedFree(request.dataSource());
			}
			if (!askUntilFree(waiting, state, request.dataSource())) {
				return Optional.empty();
			}
			askedFree = true;
		}
	}

	// with a session of its own: takes the fence if it is free, else waits on the session
	// while a listener slot is free
	private static Attempt attempt(Request request, Waiting waiting, WaitState state) throws SQLException {
		GateDatabase database = request.database();
		Connection connection = request.dataSource().getConnection();
		Fence fence = null;
		try {
			connection.setAutoCommit(true);
			connection.setNetworkTimeout(Runnable::run, (int) WAITING_NETWORK_TIMEOUT.toMillis());
			fence = new Fence(database, connection, lockId(request.name()),
					database.prepareSession(connection, request.sessionName(), request.deadPeerTimeout()));
			fence.waited = state.waited;
			Outcome outcome = fence.await(waiting, state);
			if (outcome != Outcome.TAKEN) {
				fence.close();
				return new Attempt(outcome, null);
			}
			// a changeset may run for long: from now on a lost session is noticed by the
			// lease's watchdog, not by a time-out on each statement
			connection.setNetworkTimeout(Runnable::run, 0);
			return new Attempt(Outcome.TAKEN, fence);
		}
		catch (SQLException | RuntimeException ex) {
			if (fence != null && (fence.held || !fence.letGoOfListenerSlot())) {
				// the fence or a listener slot taken, then failed: a session returned to a pool
				// would keep the lock
				discard(connection);
			}
			else {
				closeQuietly(connection);
			}
			throw ex;
		}
	}

	// Without a session of its own: one short statement on a pooled connection each time,
	// which only looks; the asks of the fleet's instances together stay within the rate
	// allowed, however many instances the registry counts. Returns whether the fence is
	// free and still needed.
	private static boolean askUntilFree(Waiting waiting, WaitState state, DataSource own) throws SQLException {
		ShutdownSignal shutdown = waiting.shutdown();
		try {
			boolean first = true;
			while (true) {
				// the first ask comes anywhere within one interval, so that instances that found
				// the fence held together do not ask together; then one ask an interval
				Duration interval = waiting.askInterval(state.fleetSize);
				shutdown.await(first ? Duration.ofMillis(ThreadLocalRandom.current().nextLong(interval.toMillis() + 1))
						: interval);
				first = false;
				shutdown.check("waiting for the schema migration lock");
				Instant now = Instant.now();
				boolean report = !now.isBefore(state.nextReport);
				try (Connection asking = state.asking.getConnection()) {
					// a pool hands the setting back with the connection
					asking.setNetworkTimeout(Runnable::run, (int) WAITING_NETWORK_TIMEOUT.toMillis());
					GateDatabase.Sighting sighting = waiting.poll().ask(asking, report);
					if (sighting.fleetSize() >= 0) {
						state.fleetSize = sighting.fleetSize();
					}
					if (sighting.holder().isEmpty()) {
						// the holder has finished or gone: this instance may have nothing left to do
						return !state.waited || waiting.stillNeeded().check(asking);
					}
					state.askSawHolder = true;
					state.waited = true;
					if (!now.isBefore(waiting.deadline())) {
						throw new LockWaitTimeoutException(sighting.holder(), Duration.between(state.start, now));
					}
					if (report) {
						waiting.stillWaiting()
							.report(sighting.holder(), sighting.progress(), Duration.between(state.start, now));
						state.nextReport = now.plus(REPORT_INTERVAL);
					}
					if (waiting.watch().observe(asking, sighting) && !waiting.stillNeeded().check(asking)) {
						return false;
					}
				}
				catch (SQLException ex) {
					if (state.asking == own || ConnectionLoss.causedBy(ex)) {
						throw ex;
					}
					// the application's user may not read the gate's tables
					logger.warn("Could not ask for the schema migration lock through the application's connection "
							+ "pool (" + ex.getMessage() + "); asking through the migration data source instead");
					state.asking = own;
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for the schema migration lock", ex);
		}
	}

	/**
	 * Which fence to take, and on which session.
	 *
	 * @param database the database the gate speaks to
	 * @param dataSource where to open the session
	 * @param name the name of the lock, turned into its id
	 * @param sessionName the name of the session, so that waiting instances can tell who
	 * holds it
	 * @param deadPeerTimeout how soon the database should drop the fenced session once its
	 * client no longer answers (a vanished host, a partition)
	 */
	record Request(GateDatabase database, DataSource dataSource, String name, String sessionName,
			Duration deadPeerTimeout) {
	}

	/**
	 * How to wait while another session holds the fence.
	 *
	 * @param deadline when to give up waiting
	 * @param poll asks for the fence and looks at its holder, in one statement per poll
	 * @param pollInterval how often a waiter with a session of its own polls while the
	 * holder neither lets go nor changes; a holder that lets go tells such waiters at once
	 * @param stillWaiting called every few seconds while another session holds the fence
	 * @param watch watches the holder and ends its session once it is frozen
	 * @param stillNeeded asked, on a session of the waiter, each time the holder has
	 * finished or gone, whether this instance still needs the fence
	 * @param shutdown ends the wait at once, closing the waiting session, when sent
	 * @param asking where a waiter without a session of its own borrows a connection for
	 * each ask
	 * @param settings how many wait with a session of their own, and how often the others
	 * ask
	 */
	record Waiting(Instant deadline, WaitingPoll poll, Duration pollInterval, StillWaiting stillWaiting,
			LeaderWatch watch, StillNeeded stillNeeded, ShutdownSignal shutdown, DataSource asking,
			WaitingSettings settings) {

		// The fleet's asks spread over its live instances, a fifth either way at random so
		// that instances that started together do not ask together. A small fleet asks more
		// often than once a second, within the same total, so that it starts about as soon
		// after the release as the listeners; until the registry is counted, once a poll
		// interval.
		Duration askInterval(int fleetSize) {
			long spread = (fleetSize > 0) ? (long) Math.ceil(fleetSize * 1000.0 / this.settings.asksPerSecond()) : 0;
			long floor = (fleetSize > 0) ? Math.min(MIN_ASK_INTERVAL.toMillis(), this.pollInterval.toMillis())
					: this.pollInterval.toMillis();
			long interval = Math.max(floor, spread);
			long jitter = interval / 5;
			return Duration.ofMillis(interval - jitter + ThreadLocalRandom.current().nextLong(2 * jitter + 1));
		}

	}

	private enum Outcome {

		/** This instance holds the fence. */
		TAKEN,

		/** The holder it waited for left nothing to do. */
		NOT_NEEDED,

		/** Another session holds the fence and every listener slot is taken. */
		NO_SLOT

	}

	private record Attempt(Outcome outcome, @Nullable Fence fence) {
	}

	// what an instance has seen over all its attempts
	private static final class WaitState {

		// asks that saw the fence free, each followed by a session of the instance's own
		// finding it held, before the asks are taken for another database's
		private static final int FREE_BUT_HELD_LIMIT = 3;

		private final Instant start;

		private Instant nextReport;

		private boolean waited;

		private int fleetSize = -1;

		private DataSource asking;

		private int freeButHeld;

		private boolean askSawHolder;

		WaitState(Instant start, DataSource asking) {
			this.start = start;
			this.nextReport = start.plus(REPORT_INTERVAL);
			this.asking = asking;
		}

		// a pool that reaches another server (a replica, a database of the same name
		// elsewhere) never sees the fence held: from then on the fence's own data source asks
		void seenHeldAfterAskedFree(DataSource own) {
			if (this.asking != own && !this.askSawHolder && ++this.freeButHeld >= FREE_BUT_HELD_LIMIT) {
				logger.warn("The connection pool the waiting instances ask through saw the schema migration lock free "
						+ this.freeButHeld + " times while the migration data source found it held: it does not "
						+ "reach the same database; asking through the migration data source instead");
				this.asking = own;
			}
		}

	}

	// Polls rather than blocking in the lock (pg_advisory_lock()): a blocked statement holds a snapshot,
	// and CREATE INDEX CONCURRENTLY in the leader's migration waits for every older snapshot
	// to go away, so leader and waiters would deadlock. Between polls a waiter's session is
	// idle, holds nothing but its listener slot, and listens for the holder to let go.
	private Outcome await(Waiting waiting, WaitState state) throws SQLException {
		Instant deadline = waiting.deadline();
		WaitingPoll poll = waiting.poll();
		Duration pollInterval = waiting.pollInterval();
		StillNeeded stillNeeded = waiting.stillNeeded();
		ShutdownSignal shutdown = waiting.shutdown();
		this.database.listenForRelease(this.connection, this.lockId);
		// the waiting session holds nothing: dropping it ends a poll or a wait for the
		// release at once
		try (ShutdownSignal.Registration stop = shutdown.onRequest(this::abort)) {
			while (true) {
				shutdown.check("waiting for the schema migration lock");
				Instant now = Instant.now();
				boolean report = !now.isBefore(state.nextReport);
				GateDatabase.Sighting sighting = poll.poll(this.connection, report);
				if (sighting.acquired()) {
					this.held = true;
					requireHeldBySession();
					releaseListenerSlot();
					return Outcome.TAKEN;
				}
				// another session held it: whatever it migrated is looked at before migrating
				this.waited = true;
				state.waited = true;
				if (this.listenerSlot < 0 && !takeListenerSlot(waiting.settings().listeners())) {
					// the asks to come spread over the fleet from the first: counted here, or
					// a fleet that starts together would ask together once a poll interval
					int fleetSize = poll.ask(this.connection, false).fleetSize();
					if (fleetSize >= 0) {
						state.fleetSize = fleetSize;
					}
					return Outcome.NO_SLOT;
				}
				if (!now.isBefore(deadline)) {
					throw new LockWaitTimeoutException(sighting.holder(), Duration.between(state.start, now));
				}
				if (report) {
					waiting.stillWaiting()
						.report(sighting.holder(), sighting.progress(), Duration.between(state.start, now));
					state.nextReport = now.plus(REPORT_INTERVAL);
				}
				if (waiting.watch().observe(this.connection, sighting) && !stillNeeded.check(this.connection)) {
					return Outcome.NOT_NEEDED;
				}
				// a random fifth more spreads the polls of instances that started waiting together
				Duration wait = pollInterval
					.plusMillis(ThreadLocalRandom.current().nextLong(pollInterval.toMillis() / 5 + 1));
				// a leader that finished may have left nothing to do; one that failed or migrated
				// less than this instance needs leaves the fence to the next poll's taker
				if (this.database.awaitRelease(this.connection, this.lockId, wait)
						&& !stillNeeded.check(this.connection)) {
					return Outcome.NOT_NEEDED;
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for the schema migration lock", ex);
		}
		finally {
			unlistenQuietly();
		}
	}

	private boolean takeListenerSlot(int slots) throws SQLException {
		if (slots <= 0) {
			return false;
		}
		this.listenerSlot = this.database.takeListenerSlot(this.connection, this.lockId, slots).orElse(-1);
		return this.listenerSlot >= 0;
	}

	// whether the session holds no listener slot (any more)
	private boolean letGoOfListenerSlot() {
		try {
			releaseListenerSlot();
			return true;
		}
		catch (SQLException ex) {
			logger.debug("Could not let go of the listener slot", ex);
			return false;
		}
	}

	private void releaseListenerSlot() throws SQLException {
		if (this.listenerSlot >= 0) {
			this.database.releaseListenerSlot(this.connection, this.lockId, this.listenerSlot);
			this.listenerSlot = -1;
		}
	}

	// the statement after the one that took the fence must run on the same session: behind a
	// pooler in transaction mode it may run on another, and the fence would guard nothing;
	// the session that took it is ended, as a pooler would otherwise keep the lock on it
	private void requireHeldBySession() throws SQLException {
		if (!this.database.holdsFence(this.connection, this.lockId)) {
			Optional<LockHolder> taker = this.database.fenceHolder(this.connection, this.lockId);
			if (taker.isPresent()) {
				this.database.endSession(this.connection, taker.get().backendPid());
			}
			throw new SharedSessionException("the schema migration lock this instance had just taken was not "
					+ "held by the session that answered its next statement");
		}
	}

	// a failed UNLISTEN means a lost session, which fails whatever runs on it next
	private void unlistenQuietly() {
		try {
			this.database.stopListening(this.connection, this.lockId);
		}
		catch (SQLException ex) {
			logger.debug("Could not stop listening for the fence's release", ex);
		}
	}

	/**
	 * Tells whether a waiting instance still needs the fence, once the holder it waited
	 * for has finished or gone.
	 */
	@FunctionalInterface
	interface StillNeeded {

		boolean check(Connection waitingSession);

	}

	/**
	 * Hears, every few seconds, that an instance still waits for the fence.
	 */
	@FunctionalInterface
	interface StillWaiting {

		void report(Optional<LockHolder> holder, Optional<LeaderProgress> progress, Duration waited);

	}

	/**
	 * Reads who holds a fence now.
	 * @param database the database the gate speaks to
	 * @param connection any session on the database
	 * @param name the name of the lock
	 * @return the holding session, empty when nobody holds it
	 * @throws SQLException if the database fails
	 */
	static Optional<LockHolder> holder(GateDatabase database, Connection connection, String name)
			throws SQLException {
		return database.fenceHolder(connection, lockId(name));
	}

	/**
	 * Whether another session held the fence when this instance asked for it.
	 * @return whether this instance had to wait
	 */
	boolean waited() {
		return this.waited;
	}

	/**
	 * Bounds how long the migration's statements on this session wait for a lock and run,
	 * until the fence is released.
	 * @param lockTimeout the lock wait, zero for the session's own bound
	 * @param statementTimeout the run time, zero for the session's own bound
	 * @return the session's backend pid, by which others see what blocks it
	 * @throws SQLException if the database fails
	 */
	long limitWaits(Duration lockTimeout, Duration statementTimeout) throws SQLException {
		this.waitsLimited = true;
		return this.database.limitWaits(this.connection, lockTimeout, statementTimeout);
	}

	/**
	 * Whether the fenced session still answers; once it does not, the fence is gone.
	 * @return whether the session is alive
	 */
	boolean isAlive() {
		try {
			return this.connection.isValid(2);
		}
		catch (SQLException ex) {
			return false;
		}
	}

	/**
	 * Returns the database the fence is held on.
	 * @return the gate's database
	 */
	GateDatabase database() {
		return this.database;
	}

	/**
	 * Returns the session holding the fence.
	 * @return the connection; closing it releases the fence
	 */
	Connection connection() {
		return this.connection;
	}

	/**
	 * Returns a data source whose connection is the fenced session and cannot be closed
	 * by its users.
	 * @return the fenced data source
	 */
	FencedDataSource dataSource() {
		return this.dataSource;
	}

	/**
	 * Cancels the statement the fenced session runs, from another session: a changeset in
	 * a transaction then fails and is rolled back, and the fence stays held until it is
	 * released.
	 * @param dataSource where to open the other session
	 * @param pid the fenced session's backend pid
	 */
	void cancelStatement(DataSource dataSource, long pid) {
		try (Connection other = dataSource.getConnection()) {
			this.database.cancelStatement(other, pid);
		}
		catch (SQLException ex) {
			logger.warn("Could not cancel the migration's statement: " + ex.getMessage());
		}
	}

	/**
	 * Drops the fenced session at once, from any thread, without waiting for the database:
	 * a statement blocked on it fails, and the fence is gone for this instance.
	 */
	void abort() {
		try {
			this.connection.abort(Runnable::run);
		}
		catch (SQLException ex) {
			logger.debug("Could not abort the fenced session", ex);
		}
	}

	@Override
	public void close() {
		try {
			if (!this.connection.getAutoCommit()) {
				this.connection.rollback();
				this.connection.setAutoCommit(true);
			}
			if (this.held) {
				this.database.releaseFence(this.connection, this.lockId);
			}
			releaseListenerSlot();
			this.database.resetSession(this.connection, this.sessionSettings, this.waitsLimited);
		}
		catch (SQLException ex) {
			// a session still alive would go back to its pool holding the lock: ending it
			// releases the lock
			logger.debug("Could not release the fence on its session; ending the session releases it", ex);
			abort();
		}
		finally {
			closeQuietly(this.connection);
		}
	}

	/**
	 * Turns a lock name into a 64-bit advisory lock id.
	 * @param name the lock name
	 * @return the advisory lock id
	 */
	static long lockId(String name) {
		try {
			byte[] digest = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
			long id = 0;
			for (int i = 0; i < 8; i++) {
				id = (id << 8) | (digest[i] & 0xFF);
			}
			return id;
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	// ends the session, not only hands it back to its pool
	private static void discard(Connection connection) {
		try {
			connection.abort(Runnable::run);
		}
		catch (SQLException ex) {
			logger.debug("Could not end the fence's session", ex);
		}
		closeQuietly(connection);
	}

	private static void closeQuietly(Connection connection) {
		try {
			connection.close();
		}
		catch (SQLException ex) {
			logger.debug("Could not close the fence's session", ex);
		}
	}

}
