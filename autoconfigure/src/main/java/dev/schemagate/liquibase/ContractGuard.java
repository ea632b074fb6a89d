package dev.schemagate.liquibase;

import java.sql.Connection;
import java.util.List;

import javax.sql.DataSource;

import dev.schemagate.contract.ContractChangesets;
import dev.schemagate.fleet.FleetMembership;
import dev.schemagate.fleet.FleetRegistry.Member;
import dev.schemagate.fleet.HoldBack;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import liquibase.changelog.ChangeSet;

/**
 * Checks each contract changeset, just before it runs, against the fleet: with the registry
 * locked against new instances until the changeset is done, no live instance may lack it.
 * Inside the changeset's transaction the migration session holds the lock; a changeset
 * outside a transaction (such as {@code DROP INDEX CONCURRENTLY}) leaves nothing on that
 * session lasting, so a session of the guard's own holds it until the changeset ran.
 */
public final class ContractGuard implements ChangesetGuard {

	private final FleetMembership fleet;

	private final DataSource dataSource;

	/**
	 * Creates the guard of one gate's contract changesets.
	 * @param fleet this instance's membership
	 * @param dataSource the registry's database, for a session of the guard's own
	 */
	public ContractGuard(FleetMembership fleet, DataSource dataSource) {
		this.fleet = fleet;
		this.dataSource = dataSource;
	}

	@Override
	public Hold check(Connection session, ChangeSet changeSet) throws Exception {
		if (!ContractChangesets.isContract(changeSet)) {
			return Hold.NONE;
		}
		if (!session.getAutoCommit()) {
			checkLocked(session, changeSet);
			return Hold.NONE;
		}
		Connection guardSession = this.dataSource.getConnection();
		try {
			guardSession.setAutoCommit(false);
			checkLocked(guardSession, changeSet);
			return () -> {
				try (guardSession) {
					guardSession.rollback();
				}
			};
		}
		catch (Exception ex) {
			try (guardSession) {
				guardSession.rollback();
			}
			throw ex;
		}
	}

	private void checkLocked(Connection session, ChangeSet changeSet) throws Exception {
		List<Member> holders = HoldBack.ofContractLocked(this.fleet, session,
				ChangesetRef.registryKey(changeSet.getId(), changeSet.getAuthor()));
		if (!holders.isEmpty()) {
			throw new IllegalStateException("Contract changeset " + changeSet.getId() + " (" + changeSet.getAuthor()
					+ ") is held back by " + holders + ", which started meanwhile");
		}
	}

}
