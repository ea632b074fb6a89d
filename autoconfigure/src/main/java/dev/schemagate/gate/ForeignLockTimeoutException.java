package dev.schemagate.gate;

import java.time.Duration;

import dev.schemagate.status.ForeignLock;

/**
 * Thrown when the leader has waited as long as it may for the migration tool's own lock, held
 * by a process outside the fleet, and gives up without migrating.
 */
public class ForeignLockTimeoutException extends IllegalStateException {

	private final transient ForeignLock lock;

	private final Duration waited;

	/**
	 * Creates the exception.
	 * @param lock the lock and who may hold it
	 * @param waited how long the leader waited
	 */
	public ForeignLockTimeoutException(ForeignLock lock, Duration waited) {
		super("Gave up after " + waited.toSeconds() + "s waiting for " + lock
				+ ", which a process outside the fleet holds, or held with its database session still open");
		this.lock = lock;
		this.waited = waited;
	}

	/**
	 * Returns the lock waited for.
	 * @return the lock and who may hold it
	 */
	public ForeignLock getLock() {
		return this.lock;
	}

	/**
	 * Returns how long the leader waited.
	 * @return the time waited
	 */
	public Duration getWaited() {
		return this.waited;
	}

}
