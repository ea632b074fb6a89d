package dev.schemagate.fleet;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;

import dev.schemagate.fleet.FleetRegistry.Member;

/**
 * The rule by which a live instance of the fleet holds a change back: a contract changeset
 * (it removes what the previous version uses) waits for every live instance whose
 * changelog lacks it, and a downgrade (it rolls back what a newer version applied) waits
 * for every live instance whose changelog has any of what it rolls back. This instance never
 * holds its own changes back. Changesets are named by their registry key, {@code id:author}.
 */
public final class HoldBack {

	private HoldBack() {
	}

	/**
	 * Returns the live instances that hold contract changesets back.
	 * @param live the live instances
	 * @param contracts the contract changesets
	 * @return the instances other than this one whose changelog lacks any of them
	 */
	public static List<Member> ofContracts(List<Member> live, Collection<String> contracts) {
		return live.stream()
			.filter((member) -> !member.self())
			.filter((member) -> !member.contracts().containsAll(contracts))
			.toList();
	}

	/**
	 * Locks the registry against new instances until the session's transaction ends, and
	 * returns the live instances that hold a contract changeset back: an instance of the
	 * previous version that starts meanwhile waits to register until the changeset is done,
	 * and then finds it applied.
	 * @param fleet this instance's membership
	 * @param session a session in a transaction, which holds the lock until it ends
	 * @param contract the contract changeset
	 * @return the instances other than this one whose changelog lacks it
	 * @throws SQLException if the database fails
	 * @throws IllegalStateException if this instance is not in the registry
	 */
	public static List<Member> ofContractLocked(FleetMembership fleet, Connection session, String contract)
			throws SQLException {
		fleet.lockAgainstNewInstances(session);
		return ofContracts(fleet.live(session), List.of(contract));
	}

	/**
	 * Returns the live instances that hold a downgrade back.
	 * @param fleet this instance's membership
	 * @param session the session to read on, such as one that holds the registry locked
	 * @param changesets what the downgrade rolls back
	 * @return the instances other than this one whose changelog has any of them
	 * @throws SQLException if the database fails
	 * @throws IllegalStateException if this instance is not in the registry, or the
	 * registry cannot tell which changesets the instances have
	 */
	public static List<Member> ofDowngrade(FleetMembership fleet, Connection session, List<String> changesets)
			throws SQLException {
		return fleet.knowing(session, changesets);
	}

	/**
	 * Returns the live instances that hold a downgrade back, read on a connection of its own.
	 * @param fleet this instance's membership
	 * @param changesets what the downgrade rolls back
	 * @return the instances other than this one whose changelog has any of them
	 * @throws SQLException if the database fails
	 * @throws IllegalStateException if this instance is not in the registry, or the
	 * registry cannot tell which changesets the instances have
	 */
	public static List<Member> ofDowngrade(FleetMembership fleet, List<String> changesets) throws SQLException {
		return fleet.knowing(changesets);
	}

}
