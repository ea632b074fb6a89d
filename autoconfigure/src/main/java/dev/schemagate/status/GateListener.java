package dev.schemagate.status;

import java.time.Duration;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * Hears what a migration gate does, for readiness, health, metrics and logs.
 * Every method has an empty default.
 */
public interface GateListener {

	/**
	 * Called when the gate starts: this instance asks for the lock.
	 */
	default void starting() {
	}

	/**
	 * Called every few seconds while another instance holds the gate.
	 * @param holder the holding session, if it is still there
	 * @param progress what the holder publishes about its migration, if anything
	 * @param waited how long this instance has waited so far
	 */
	default void waiting(Optional<LockHolder> holder, Optional<LeaderProgress> progress, Duration waited) {
	}

	/**
	 * Called when this instance found, without taking the lock, that the schema holds
	 * everything its migration would apply: it starts without its turn.
	 * @param position the schema's position against the changelog
	 * @param took how long the check took since the gate started
	 */
	default void upToDate(SchemaPosition position, Duration took) {
	}

	/**
	 * Called when this instance, waiting, ended the session of a leader that had not renewed
	 * its lease for the time-to-live, so as to take over.
	 * @param leader the leader's fenced session
	 * @param silent how long its lease had not changed
	 */
	default void leaderEnded(LockHolder leader, Duration silent) {
	}

	/**
	 * Called while this instance waits for a leader that has not renewed its lease for the
	 * time-to-live, because the database refuses to let it end that leader's session.
	 * @param leader the leader's fenced session
	 * @param reason what the database said and what to grant
	 */
	default void leaderEndRefused(LockHolder leader, String reason) {
	}

	/**
	 * Called each time this instance takes the fence, the advisory lock only one instance
	 * holds: before it knows whether anything is left to migrate.
	 */
	default void fenceAcquired() {
	}

	/**
	 * Called once this instance holds the gate and starts its migration.
	 * @param waited how long it waited for the gate
	 */
	default void acquired(Duration waited) {
	}

	/**
	 * Called every few seconds while this instance, holding the gate, waits for the
	 * migration tool's own lock, held by a process outside the fleet.
	 * @param lock the lock and who may hold it
	 * @param waited how long this instance has waited for it so far
	 */
	default void foreignLockHeld(ForeignLock lock, Duration waited) {
	}

	/**
	 * Called when the migration has compared the schema with its changelog.
	 * @param position the schema's position against the changelog
	 */
	default void inspected(SchemaPosition position) {
	}

	/**
	 * Called when a changeset starts.
	 * @param changeset the changeset, with its position among the pending ones
	 */
	default void changesetStarted(ChangesetRun changeset) {
	}

	/**
	 * Called when a changeset has been applied.
	 * @param changeset the changeset
	 * @param took how long it took
	 */
	default void changesetApplied(ChangesetRun changeset, Duration took) {
	}

	/**
	 * Called when a changeset fails.
	 * @param changeset the changeset
	 * @param failure why
	 */
	default void changesetFailed(ChangesetRun changeset, Throwable failure) {
	}

	/**
	 * Called when a pass lost its database connection and is about to be repeated.
	 * @param failure the lost connection
	 * @param backoff the pause before the next pass
	 */
	default void retrying(Throwable failure, Duration backoff) {
	}

	/**
	 * Called when a changeset waited longer than the lock timeout for a lock, was rolled
	 * back and is about to be tried again, still under the gate.
	 * @param changeset the changeset, {@code null} when the wait was outside any
	 * @param reason what it waited for
	 * @param backoff the pause before it is tried again
	 */
	default void lockTimedOut(@Nullable ChangesetRun changeset, String reason, Duration backoff) {
	}

	/**
	 * Called when the migration has succeeded and the gate is released.
	 * @param took how long this instance held the gate
	 */
	default void completed(Duration took) {
	}

	/**
	 * Called when the gate gives up: the migration failed, the wait timed out or the
	 * database stayed out of reach.
	 * @param failure why
	 */
	default void failed(Throwable failure) {
	}

}
