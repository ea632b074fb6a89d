package dev.schemagate.gate;

/**
 * The work a {@link MigrationGate} runs once it holds the lock.
 */
@FunctionalInterface
public interface Migration {

	/**
	 * Migrates the database.
	 * @param fenced a data source whose only connection is the session that holds the
	 * fence: statements run on it can only run while this instance is the leader; a lock
	 * the migration tool takes on it should carry its {@link FencedDataSource#stamp() stamp}
	 * @param progress where to report each changeset
	 * @throws Exception when the migration fails
	 */
	void migrate(FencedDataSource fenced, MigrationProgress progress) throws Exception;

}
