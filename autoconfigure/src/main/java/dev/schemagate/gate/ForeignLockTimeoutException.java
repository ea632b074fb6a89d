package dev.schemagate.gate;

import java.time.Duration;

/**
 * Thrown when the leader has waited {@code schemagate.lock.wait-timeout} for the migration
 * tool's own lock, held by a process outside the fleet, and gives up without migrating.
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
				+ ". A process outside the fleet (the Liquibase CLI, a build plugin, an instance without "
				+ "schemagate) holds it or held it and its session is still open. If that process has ended, end "
				+ "the session (SELECT pg_terminate_backend(pid)) or release the lock (UPDATE " + lock.table()
				+ " SET LOCKED = FALSE, LOCKGRANTED = NULL, LOCKEDBY = NULL WHERE ID = 1), then start again.");
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
