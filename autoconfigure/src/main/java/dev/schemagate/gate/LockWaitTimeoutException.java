package dev.schemagate.gate;

import java.time.Duration;
import java.util.Optional;

import dev.schemagate.status.LeaderProgress;
import dev.schemagate.status.LockHolder;

/**
 * Thrown when an instance has waited as long as it may for another instance's migration and
 * gives up.
 */
public class LockWaitTimeoutException extends IllegalStateException {

	private final transient Optional<LockHolder> holder;

	private final Duration waited;

	private final transient Optional<LeaderProgress> leader;

	LockWaitTimeoutException(Optional<LockHolder> holder, Duration waited) {
		this(holder, waited, Optional.empty());
	}

	private LockWaitTimeoutException(Optional<LockHolder> holder, Duration waited, Optional<LeaderProgress> leader) {
		super("Gave up waiting for the schema migration lock after " + waited.toSeconds() + "s: it is held by "
				+ holder.map(LockHolder::toString).orElse("a session that has just let it go")
				+ leader.map((progress) -> " (" + progress + ")").orElse(""));
		this.holder = holder;
		this.waited = waited;
		this.leader = leader;
	}

	LockWaitTimeoutException withLeader(Optional<LeaderProgress> leader) {
		return new LockWaitTimeoutException(this.holder, this.waited, leader);
	}

	/**
	 * Returns what the leader published about its migration when the wait ended.
	 * @return the leader's progress, if any
	 */
	public Optional<LeaderProgress> getLeader() {
		return this.leader;
	}

	/**
	 * Returns the session that held the lock when the wait ended.
	 * @return the holder, if any
	 */
	public Optional<LockHolder> getHolder() {
		return this.holder;
	}

	/**
	 * Returns how long this instance waited.
	 * @return the time waited
	 */
	public Duration getWaited() {
		return this.waited;
	}

}
