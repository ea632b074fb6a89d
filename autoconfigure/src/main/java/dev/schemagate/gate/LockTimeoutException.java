package dev.schemagate.gate;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import dev.schemagate.database.Blocker;
import dev.schemagate.database.GateDatabase.Failure;
import dev.schemagate.database.GateDatabases;
import dev.schemagate.status.ChangesetRun;
import org.jspecify.annotations.Nullable;

/**
 * Thrown when a changeset waited longer than the lock timeout for a lock on every attempt;
 * each attempt was rolled back.
 */
public class LockTimeoutException extends RuntimeException {

	private final @Nullable ChangesetRun changeset;

	private final List<Blocker> blockers;

	LockTimeoutException(@Nullable ChangesetRun changeset, Duration lockTimeout, int attempts, List<Blocker> blockers,
			Throwable cause) {
		super(message(changeset, lockTimeout, attempts, blockers), cause);
		this.changeset = changeset;
		this.blockers = blockers;
	}

	private static String message(@Nullable ChangesetRun changeset, Duration lockTimeout, int attempts,
			List<Blocker> blockers) {
		String what = (changeset != null) ? changeset + " of " + changeset.changelog() : "The migration";
		return what + " waited longer than the lock timeout of " + lockTimeout.toMillis() + "ms for a lock, "
				+ attempts + " time" + ((attempts != 1) ? "s" : "") + ", and was rolled back each time; "
				+ (blockers.isEmpty() ? "the session holding the lock was not seen"
						: "blocked by " + blockers.stream().map(Blocker::toString).collect(Collectors.joining("; ")));
	}

	/**
	 * Tells whether a failure is a statement that waited longer than the lock timeout.
	 * @param failure the failure
	 * @return whether it is, somewhere in its causes
	 */
	static boolean causedBy(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof SQLException sqlException
					&& GateDatabases.failure(sqlException) == Failure.LOCK_TIMEOUT) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Returns the changeset that could not get its lock.
	 * @return the changeset, {@code null} when the wait was outside any changeset
	 */
	public @Nullable ChangesetRun getChangeset() {
		return this.changeset;
	}

	/**
	 * Returns the sessions last seen holding the lock the changeset waited for.
	 * @return the blocking sessions
	 */
	public List<Blocker> getBlockers() {
		return this.blockers;
	}

}
