package dev.schemagate.database;

/**
 * Thrown when the migration's database is reached in a way its session locks do not hold
 * across: a node of a cluster whose every node grants the same lock (Galera, Percona XtraDB
 * Cluster), or a URL on which the driver balances or fails sessions over between servers,
 * where a session moved to another server leaves its lock behind. The fence would no longer
 * mean that one instance migrates, so the instance stops instead.
 */
public class ClusteredDatabaseException extends IllegalStateException {

	/**
	 * Creates the exception.
	 * @param seen what showed the database to be clustered or balanced
	 */
	public ClusteredDatabaseException(String seen) {
		super("The migration's database session may not hold its lock alone: " + seen + ".");
	}

}
