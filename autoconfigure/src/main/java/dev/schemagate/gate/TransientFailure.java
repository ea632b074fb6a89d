package dev.schemagate.gate;

import java.sql.SQLException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Tells a changeset failure that running the changeset again may heal, which the next
 * leader does, from one it would repeat, which stops the fleet once: a lost connection (a
 * server restart, a terminated session), a serialization failure, a deadlock, or a lock
 * wait past the lock timeout.
 */
final class TransientFailure {

	// 40001 serialization_failure, 40P01 deadlock_detected, 55P03 lock_not_available
	private static final Set<String> TRANSIENT_STATES = Set.of("40001", "40P01", "55P03");

	private TransientFailure() {
	}

	static boolean causedBy(Throwable failure) {
		if (ConnectionLoss.causedBy(failure) || LockTimeoutException.causedBy(failure)) {
			return true;
		}
		Map<Throwable, Boolean> seen = new IdentityHashMap<>();
		for (Throwable cause = failure; cause != null && seen.put(cause, true) == null; cause = cause.getCause()) {
			if (cause instanceof SQLException sqlException && sqlException.getSQLState() != null
					&& TRANSIENT_STATES.contains(sqlException.getSQLState())) {
				return true;
			}
		}
		return false;
	}

}
