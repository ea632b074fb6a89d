package dev.schemagate.database;

/**
 * Thrown when the migration's database session turns out to be shared with other clients,
 * as behind a connection pooler in transaction or statement mode (PgBouncer with
 * {@code pool_mode=transaction}, RDS Proxy, pgcat, ProxySQL with multiplexing). The fence is
 * a session-level lock: through such a pooler it no longer means that one instance migrates, so the
 * instance stops instead.
 */
public class SharedSessionException extends IllegalStateException {

	/**
	 * Creates the exception.
	 * @param seen what showed the session to be shared
	 */
	public SharedSessionException(String seen) {
		super("The migration's database session is shared with other clients: " + seen + ". A connection pooler in "
				+ "transaction or statement mode sits between this instance and the database, and session-level "
				+ "locks do not hold through it.");
	}

}
