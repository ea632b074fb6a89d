package dev.schemagate.gate;

import java.sql.SQLException;
import java.util.Optional;

import dev.schemagate.database.GateDatabase.Failure;
import dev.schemagate.database.GateDatabases;

/**
 * Thrown when the database turns the migration's connection away: a wrong user or
 * password, a client the server does not admit, or a database that does not exist. No
 * retry heals that, so the instance fails at once instead of waiting out
 * {@code schemagate.retry.timeout}.
 */
public class ConnectionRejectedException extends IllegalStateException {

	private final String sqlState;

	private final boolean databaseMissing;

	ConnectionRejectedException(SQLException rejection, Throwable failure) {
		super("The database rejected the migration's connection: " + rejection.getMessage(), failure);
		this.sqlState = rejection.getSQLState();
		this.databaseMissing = GateDatabases.failure(rejection) == Failure.DATABASE_MISSING;
	}

	/**
	 * Returns the SQLSTATE of the rejection: class {@code 28} for the user, its password or
	 * the client's address; for a database that does not exist, {@code 3D000} on PostgreSQL,
	 * {@code 42000} on MariaDB.
	 * @return the SQLSTATE
	 */
	public String getSqlState() {
		return this.sqlState;
	}

	/**
	 * Whether the database named in the URL does not exist.
	 * @return whether the database is missing rather than the user refused
	 */
	public boolean isDatabaseMissing() {
		return this.databaseMissing;
	}

	/**
	 * Returns the rejection that caused the given failure, if one did.
	 * @param failure the failure
	 * @return the rejection
	 */
	static Optional<ConnectionRejectedException> of(Throwable failure) {
		return ConnectionLoss.rejection(failure).map((rejection) -> new ConnectionRejectedException(rejection, failure));
	}

}
