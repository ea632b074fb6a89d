package dev.schemagate.liquibase;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

import dev.schemagate.fleet.FleetRegistry.Member;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import org.jspecify.annotations.Nullable;

/**
 * Holds a downgrade back while a live instance of the fleet has the changesets it would
 * roll back in its changelog: rolling them back would take away what that instance uses.
 */
public interface DowngradeHold {

	/**
	 * Reads the live instances, other than this one, whose changelog holds any of the given
	 * changesets.
	 * @param session the session to read on, such as one that holds the registry locked
	 * @param changesets the changesets, as {@code id:author}
	 * @return those instances, none when the downgrade may run
	 * @throws SQLException if the database fails
	 * @throws IllegalStateException if it cannot be told who runs
	 */
	List<Member> holders(Connection session, List<String> changesets) throws SQLException;

	/**
	 * Locks the registry against new instances until the session's transaction ends, so
	 * that an instance starting meanwhile either is seen or finds the downgrade done.
	 * @param session a session in a transaction
	 * @throws SQLException if the database fails
	 */
	void lockAgainstNewInstances(Connection session) throws SQLException;

	/**
	 * Hears which changesets wait to be rolled back and who holds them back; none of either
	 * once there is nothing to roll back.
	 * @param changesets the changesets a newer version applied, in the order they were
	 * applied
	 * @param holders the live instances whose changelog holds one of them
	 * @param error why it could not be told who holds them back, {@code null} when it could
	 */
	void heldBack(List<ChangesetRef> changesets, List<Member> holders, @Nullable String error);

	/**
	 * Hears that the downgrade rolled changesets back.
	 * @param changesets the changesets, in the order they had been applied
	 */
	void rolledBack(List<ChangesetRef> changesets);

}
