package dev.schemagate.gate;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Tells an instance's start that the JVM is to stop (SIGTERM while it waits, migrates or
 * retries): a waiting instance stops waiting at once, a retrying one stops retrying, and a
 * leader applies no further changeset and, if told to abort, cancels a transactional one it
 * runs. Until then the leader is marked as such, so that whoever ends the JVM can wait for
 * it to let go of the fence.
 */
public final class ShutdownSignal {

	private final boolean abortChangeset;

	private final CountDownLatch requested = new CountDownLatch(1);

	private final List<Runnable> actions = new CopyOnWriteArrayList<>();

	private volatile boolean leading;

	/**
	 * Creates a signal nobody has sent yet.
	 * @param abortChangeset whether a leader cancels the transactional changeset it runs,
	 * rather than finish it
	 */
	public ShutdownSignal(boolean abortChangeset) {
		this.abortChangeset = abortChangeset;
	}

	/**
	 * Returns a signal for a start that nothing stops.
	 * @return a signal that is never sent
	 */
	public static ShutdownSignal never() {
		return new ShutdownSignal(false);
	}

	/**
	 * Sends the signal: what waits for it wakes, and each action registered runs once.
	 */
	public void request() {
		if (this.requested.getCount() == 0) {
			return;
		}
		this.requested.countDown();
		this.actions.forEach(Runnable::run);
	}

	/**
	 * Whether the signal was sent.
	 * @return whether the start is to stop
	 */
	public boolean requested() {
		return this.requested.getCount() == 0;
	}

	/**
	 * Whether a leader told to stop cancels the transactional changeset it runs.
	 * @return whether it aborts rather than finish
	 */
	boolean abortsChangeset() {
		return this.abortChangeset;
	}

	/**
	 * Whether this instance holds the fence now: then stopping the JVM before it lets go
	 * cuts a changeset short.
	 * @return whether it leads
	 */
	public boolean leading() {
		return this.leading;
	}

	void leading(boolean leading) {
		this.leading = leading;
	}

	/**
	 * Runs an action when the signal is sent, or at once if it was, until the returned
	 * registration is closed.
	 * @param action what to do
	 * @return the registration
	 */
	Registration onRequest(Runnable action) {
		this.actions.add(action);
		if (requested()) {
			action.run();
		}
		return () -> this.actions.remove(action);
	}

	/**
	 * Sleeps, waking early when the signal is sent.
	 * @param duration how long
	 * @param doing what the start was doing, for the message
	 * @throws StartCancelledException if the signal was sent
	 * @throws InterruptedException if interrupted
	 */
	void sleep(Duration duration, String doing) throws InterruptedException {
		if (await(duration)) {
			throw new StartCancelledException(doing);
		}
	}

	/**
	 * Waits for the signal.
	 * @param duration how long at most
	 * @return whether it was sent
	 * @throws InterruptedException if interrupted
	 */
	boolean await(Duration duration) throws InterruptedException {
		return this.requested.await(duration.toMillis(), TimeUnit.MILLISECONDS);
	}

	/**
	 * Fails when the signal was sent.
	 * @param doing what the start was doing, for the message
	 * @throws StartCancelledException if it was
	 */
	void check(String doing) {
		if (requested()) {
			throw new StartCancelledException(doing);
		}
	}

	/**
	 * An action registered until closed.
	 */
	@FunctionalInterface
	interface Registration extends AutoCloseable {

		@Override
		void close();

	}

}
