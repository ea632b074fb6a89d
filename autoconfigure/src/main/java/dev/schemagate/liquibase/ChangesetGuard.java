package dev.schemagate.liquibase;

import java.sql.Connection;

import liquibase.changelog.ChangeSet;

/**
 * Decides, on the migration session, right before a changeset's first change and inside
 * its transaction when it has one, whether the changeset may run; what it locks there stays
 * locked until the changeset commits.
 */
@FunctionalInterface
public interface ChangesetGuard {

	/**
	 * Checks a changeset about to run.
	 * @param session the migration session
	 * @param changeSet the changeset
	 * @throws Exception to stop the changeset, which is then rolled back
	 */
	void check(Connection session, ChangeSet changeSet) throws Exception;

}
