package dev.schemagate.gate;

import java.io.EOFException;
import java.net.SocketException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

import dev.schemagate.database.GateDatabase.Failure;
import dev.schemagate.database.GateDatabases;

/**
 * Tells a lost or refused database connection, after which the whole acquire and
 * migrate cycle may be retried, from every other failure.
 */
final class ConnectionLoss {

	private ConnectionLoss() {
	}

	/**
	 * Whether a lost database connection caused the given failure.
	 * @param failure the failure
	 * @return whether retrying on a new connection can succeed
	 */
	static boolean causedBy(Throwable failure) {
		boolean connectionLost = false;
		Map<Throwable, Boolean> seen = new IdentityHashMap<>();
		for (Throwable cause = failure; cause != null && seen.put(cause, true) == null; cause = cause.getCause()) {
			Failure kind = (cause instanceof SQLException sqlException) ? GateDatabases.failure(sqlException)
					: Failure.OTHER;
			if (rejects(kind)) {
				// a pool reports wrong credentials as a connection time-out: no retry heals them
				return false;
			}
			connectionLost |= kind == Failure.CONNECTION_LOST || cause instanceof SocketException
					|| cause instanceof EOFException || (connectionClass(cause) && !stateOfAnotherFailure(cause));
		}
		return connectionLost;
	}

	private static boolean rejects(Failure kind) {
		return kind == Failure.CONNECTION_REFUSED || kind == Failure.DATABASE_MISSING;
	}

	private static boolean connectionClass(Throwable cause) {
		return cause instanceof SQLTransientConnectionException || cause instanceof SQLNonTransientConnectionException
				|| cause instanceof SQLRecoverableException;
	}

	// a driver may give a failure of the statement a connection exception's class (MariaDB's
	// does for a state it does not know, such as SIGNAL's 45000): the SQL state tells
	private static boolean stateOfAnotherFailure(Throwable cause) {
		String state = ((SQLException) cause).getSQLState();
		return state != null && !state.startsWith("08");
	}

	/**
	 * Returns the database's refusal of the connection that caused the given failure.
	 * @param failure the failure
	 * @return the refusal, when the user, the client or the database was turned away
	 */
	static Optional<SQLException> rejection(Throwable failure) {
		Map<Throwable, Boolean> seen = new IdentityHashMap<>();
		for (Throwable cause = failure; cause != null && seen.put(cause, true) == null; cause = cause.getCause()) {
			if (cause instanceof SQLException sqlException && rejects(GateDatabases.failure(sqlException))) {
				return Optional.of(sqlException);
			}
		}
		return Optional.empty();
	}

}
