package dev.schemagate.gate;

import java.sql.SQLException;
import java.util.IdentityHashMap;
import java.util.Map;

import dev.schemagate.database.GateDatabase.Failure;
import dev.schemagate.database.GateDatabases;

/**
 * Tells a changeset failure that running the changeset again may heal, which the next
 * leader does, from one it would repeat, which stops the fleet once: a lost connection (a
 * server restart, a terminated session), a serialization failure, a deadlock, or a lock
 * wait past the lock timeout.
 */
final class TransientFailure {

	private TransientFailure() {
	}

	static boolean causedBy(Throwable failure) {
		if (ConnectionLoss.causedBy(failure) || LockTimeoutException.causedBy(failure)) {
			return true;
		}
		Map<Throwable, Boolean> seen = new IdentityHashMap<>();
		for (Throwable cause = failure; cause != null && seen.put(cause, true) == null; cause = cause.getCause()) {
			if (cause instanceof SQLException sqlException
					&& GateDatabases.failure(sqlException) == Failure.CONFLICT) {
				return true;
			}
		}
		return false;
	}

}
