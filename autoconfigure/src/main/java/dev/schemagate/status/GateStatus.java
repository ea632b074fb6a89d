package dev.schemagate.status;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import org.springframework.core.NestedExceptionUtils;

/**
 * What one gate has done in this instance, kept for readiness, health, the endpoint and
 * the meters to read.
 */
public final class GateStatus implements GateListener {

	/**
	 * Where the gate stands.
	 */
	public enum State {

		/** The gate has not started yet. */
		PENDING,
		/** This instance asks for the gate, which another instance may hold. */
		WAITING,
		/** This instance holds the gate and migrates. */
		MIGRATING,
		/** The schema holds every changeset of this instance's changelog. */
		UP_TO_DATE,
		/** The schema holds changesets this instance does not know: a newer version migrated it. */
		SCHEMA_AHEAD,
		/** The migration failed, the wait timed out or the database stayed out of reach. */
		FAILED

	}

	private final String name;

	private State state = State.PENDING;

	private @Nullable Instant waitingSince;

	private Duration waited = Duration.ZERO;

	private @Nullable Instant acquiredAt;

	private @Nullable Duration held;

	private @Nullable LockHolder lastHolder;

	private @Nullable LeaderProgress lastLeaderProgress;

	private @Nullable ForeignLock foreignLock;

	private @Nullable String takeover;

	private @Nullable SchemaPosition position;

	private @Nullable ChangesetRun running;

	private final List<AppliedChangeset> applied = new ArrayList<>();

	private @Nullable String lastError;

	private int retries;

	private int lockAcquisitions;

	private int fenceAcquisitions;

	/**
	 * Creates the status of a gate.
	 * @param name the gate's name, the name of the bean it migrates for
	 */
	public GateStatus(String name) {
		this.name = name;
	}

	public String getName() {
		return this.name;
	}

	public synchronized State getState() {
		return this.state;
	}

	public synchronized Optional<Instant> getWaitingSince() {
		return Optional.ofNullable(this.waitingSince);
	}

	public synchronized Duration getWaited() {
		return this.waited;
	}

	public synchronized Optional<Instant> getAcquiredAt() {
		return Optional.ofNullable(this.acquiredAt);
	}

	public synchronized Optional<Duration> getHeld() {
		return Optional.ofNullable(this.held);
	}

	public synchronized Optional<LockHolder> getLastHolder() {
		return Optional.ofNullable(this.lastHolder);
	}

	public synchronized Optional<LeaderProgress> getLastLeaderProgress() {
		return Optional.ofNullable(this.lastLeaderProgress);
	}

	/**
	 * Returns the migration tool's own lock, held outside the fleet, that this instance
	 * waits for as leader, or last waited for.
	 * @return the lock, if this instance waits or waited for one
	 */
	public synchronized Optional<ForeignLock> getForeignLock() {
		return Optional.ofNullable(this.foreignLock);
	}

	/**
	 * Returns what happened when this instance last found the leader frozen: that it ended
	 * the leader's session, or why it could not.
	 * @return the takeover, if this instance found a frozen leader
	 */
	public synchronized Optional<String> getTakeover() {
		return Optional.ofNullable(this.takeover);
	}

	public synchronized Optional<SchemaPosition> getPosition() {
		return Optional.ofNullable(this.position);
	}

	public synchronized Optional<ChangesetRun> getRunning() {
		return Optional.ofNullable(this.running);
	}

	public synchronized List<AppliedChangeset> getApplied() {
		return List.copyOf(this.applied);
	}

	public synchronized Optional<String> getLastError() {
		return Optional.ofNullable(this.lastError);
	}

	public synchronized int getRetries() {
		return this.retries;
	}

	/**
	 * How often this instance migrated under the lock: zero when it found the schema up to
	 * date, before or while waiting (a waiter that wins the fence and then finds it up to
	 * date lets go of it at once and does not count).
	 * @return the number of times it migrated under the lock
	 */
	public synchronized int getLockAcquisitions() {
		return this.lockAcquisitions;
	}

	/**
	 * How often this instance took the fence, whether it then migrated or found the schema
	 * up to date: zero when it started on the lock-free check alone.
	 * @return the number of times it took the fence
	 */
	public synchronized int getFenceAcquisitions() {
		return this.fenceAcquisitions;
	}

	/**
	 * How many changesets remain pending: those the schema lacked less those this instance
	 * has applied since.
	 * @return the pending changesets, zero before the schema was inspected
	 */
	public synchronized int getPending() {
		return (this.position != null) ? Math.max(0, this.position.pending() - this.applied.size()) : 0;
	}

	@Override
	public synchronized void starting() {
		this.state = State.WAITING;
		this.waitingSince = Instant.now();
	}

	@Override
	public synchronized void waiting(Optional<LockHolder> holder, Optional<LeaderProgress> progress,
			Duration waited) {
		this.state = State.WAITING;
		this.lastHolder = holder.orElse(null);
		this.lastLeaderProgress = progress.orElse(null);
	}

	@Override
	public synchronized void upToDate(SchemaPosition position, Duration took) {
		this.position = position;
		this.waited = took;
		this.held = Duration.ZERO;
		this.state = (position.unknown() > 0) ? State.SCHEMA_AHEAD : State.UP_TO_DATE;
	}

	@Override
	public synchronized void fenceAcquired() {
		this.fenceAcquisitions++;
	}

	@Override
	public synchronized void acquired(Duration waited) {
		this.lockAcquisitions++;
		this.state = State.MIGRATING;
		this.waited = waited;
		this.acquiredAt = Instant.now();
	}

	@Override
	public synchronized void leaderEnded(LockHolder leader, Duration silent) {
		this.takeover = "ended the session of " + leader + ", whose lease had not been renewed for "
				+ silent.toMillis() + "ms";
	}

	@Override
	public synchronized void leaderEndRefused(LockHolder leader, String reason) {
		this.takeover = reason;
	}

	@Override
	public synchronized void foreignLockHeld(ForeignLock lock, Duration waited) {
		this.state = State.WAITING;
		this.foreignLock = lock;
	}

	@Override
	public synchronized void inspected(SchemaPosition position) {
		this.position = position;
		if (this.state == State.WAITING) {
			// the foreign lock was released: this instance migrates
			this.state = State.MIGRATING;
		}
	}

	@Override
	public synchronized void changesetStarted(ChangesetRun changeset) {
		this.running = changeset;
	}

	@Override
	public synchronized void changesetApplied(ChangesetRun changeset, Duration took) {
		this.running = null;
		this.applied.add(new AppliedChangeset(changeset, Instant.now().minus(took), took));
	}

	@Override
	public synchronized void changesetFailed(ChangesetRun changeset, Throwable failure) {
		this.running = null;
		this.lastError = changeset + " failed: " + failure.getMessage();
	}

	@Override
	public synchronized void retrying(Throwable failure, Duration backoff) {
		this.retries++;
		this.lastError = "lost the database connection: "
				+ NestedExceptionUtils.getMostSpecificCause(failure).getMessage();
		// a pass that lost its session rolled back what it had not committed
		this.running = null;
	}

	@Override
	public synchronized void lockTimedOut(@Nullable ChangesetRun changeset, String reason, Duration backoff) {
		this.running = null;
		this.lastError = reason;
	}

	@Override
	public synchronized void completed(Duration took) {
		this.held = took;
		this.state = (this.position != null && this.position.unknown() > 0) ? State.SCHEMA_AHEAD
				: State.UP_TO_DATE;
	}

	@Override
	public synchronized void failed(Throwable failure) {
		// what the failure timer records: how long it held the gate before it failed
		this.held = (this.state == State.MIGRATING && this.acquiredAt != null)
				? Duration.between(this.acquiredAt, Instant.now()) : Duration.ZERO;
		this.state = State.FAILED;
		this.lastError = failure.getMessage();
	}

	/**
	 * A changeset this instance applied.
	 *
	 * @param changeset the changeset
	 * @param startedAt when it started
	 * @param took how long it took
	 */
	public record AppliedChangeset(ChangesetRun changeset, Instant startedAt, Duration took) {
	}

}
