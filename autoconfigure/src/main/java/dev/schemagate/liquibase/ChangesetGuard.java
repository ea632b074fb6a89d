package dev.schemagate.liquibase;

import java.sql.Connection;

import liquibase.changelog.ChangeSet;

/**
 * Decides, on the migration session, right before a changeset's first change and inside
 * its transaction when it has one, whether the changeset may run. What it locks inside the
 * transaction stays locked until the changeset commits; for a changeset outside a
 * transaction, it returns what holds its locks until the changeset is done.
 */
@FunctionalInterface
public interface ChangesetGuard {

	/**
	 * Checks a changeset about to run.
	 * @param session the migration session
	 * @param changeSet the changeset
	 * @return what to release once the changeset ran or failed
	 * @throws Exception to stop the changeset, which is then rolled back
	 */
	Hold check(Connection session, ChangeSet changeSet) throws Exception;

	/**
	 * What a guard holds until its changeset is done.
	 */
	@FunctionalInterface
	interface Hold {

		/**
		 * Nothing held beyond the changeset's own transaction.
		 */
		Hold NONE = () -> {
		};

		/**
		 * Releases what is held.
		 * @throws Exception if releasing fails, which the changeset's outcome does not change
		 */
		void release() throws Exception;

	}

}
