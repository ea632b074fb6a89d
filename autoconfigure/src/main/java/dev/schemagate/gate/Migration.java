package dev.schemagate.gate;

import java.sql.Connection;
import java.util.List;
import java.util.Optional;

import dev.schemagate.status.SchemaPosition;

/**
 * The work a {@link MigrationGate} runs once it holds the lock.
 */
@FunctionalInterface
public interface Migration {

	/**
	 * Tells, changing nothing and taking no lock, whether the database already holds
	 * everything this migration would apply, so that the instance can start without taking
	 * its turn. Any number of instances may ask at once. Whatever cannot be decided this way
	 * (a changeset that runs always or on change, a checksum to update or that does not
	 * match) must answer empty: the migration then runs under the lock as usual, and fails
	 * there if it must.
	 * @param session a pooled session, in auto-commit, for reading only
	 * @return the schema's position when it is up to date, empty otherwise
	 * @throws Exception if the database cannot be read
	 */
	default Optional<SchemaPosition> upToDate(Connection session) throws Exception {
		return Optional.empty();
	}

	/**
	 * Names, changing nothing and taking no lock, what the database lacks of this
	 * migration, for an instance that waits for another to apply it.
	 * @param session a pooled session, in auto-commit, for reading only
	 * @return what is missing, one entry a changeset; empty when nothing is, or when it
	 * cannot be told without the lock
	 * @throws Exception if the database cannot be read
	 */
	default List<String> missing(Connection session) throws Exception {
		return List.of();
	}

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
