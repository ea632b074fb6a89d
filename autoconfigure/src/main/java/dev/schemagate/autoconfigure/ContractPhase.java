package dev.schemagate.autoconfigure;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import javax.sql.DataSource;

import dev.schemagate.gate.FleetRegistry.Member;
import dev.schemagate.gate.MigrationGate;
import dev.schemagate.gate.SchemaPosition.ChangesetRef;
import dev.schemagate.liquibase.ChangesetGuard;
import dev.schemagate.liquibase.LiquibaseMigration;
import liquibase.changelog.ChangeSet;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Applies one Liquibase bean's contract changesets (labelled {@code contract}) once no live
 * instance of the fleet runs a changelog that lacks them: they remove what the previous
 * version still uses. Checked on a schedule by every instance; applied under the gate's
 * lock, with the fleet registry locked and read again inside each contract changeset's
 * transaction, so that an instance of the previous version that starts meanwhile either is
 * seen and holds the changeset back, or waits to register until it committed and then finds
 * it applied.
 */
public final class ContractPhase {

	private static final Log logger = LogFactory.getLog(ContractPhase.class);

	private final String name;

	private final LiquibaseMigration contracts;

	private final Supplier<MigrationGate> gate;

	private final FleetMembership fleet;

	private volatile List<ChangesetRef> pending = List.of();

	private volatile List<Member> holders = List.of();

	private volatile List<ChangesetRef> applied = List.of();

	private volatile @Nullable String lastError;

	ContractPhase(String name, LiquibaseMigration contracts, Supplier<MigrationGate> gate, FleetMembership fleet) {
		this.name = name;
		this.contracts = contracts;
		this.gate = gate;
		this.fleet = fleet;
	}

	/**
	 * Applies the pending contract changesets if no live instance holds them back.
	 * @return whether it applied them
	 */
	synchronized boolean applyIfAllowed() {
		return check(true);
	}

	/**
	 * Reads which contract changesets are pending and who holds them back, applying
	 * nothing: in 'wait' mode another process applies them.
	 */
	synchronized void observe() {
		check(false);
	}

	private boolean check(boolean apply) {
		try {
			List<ChangesetRef> pending = this.contracts.changelog().pendingContracts();
			this.pending = pending;
			if (pending.isEmpty()) {
				this.holders = List.of();
				this.lastError = null;
				return false;
			}
			if (!this.fleet.isJoined()) {
				this.fleet.joinIfNotYet();
				if (!this.fleet.isJoined()) {
					this.lastError = "this instance is not in the fleet registry, so it cannot tell whether an instance "
							+ "of the previous version runs";
					return false;
				}
			}
			List<Member> holders = holders(this.fleet.live(), pending);
			// logged when who holds them back changes, not at every heartbeat of the same instances
			if (!holders.isEmpty() && !ids(holders).equals(ids(this.holders))) {
				logger.info("Contract changesets of '" + this.name + "' wait for " + holders.size() + " instance"
						+ ((holders.size() != 1) ? "s" : "") + " whose changelog lacks them: " + describe(pending)
						+ " held back by " + holders);
			}
			this.holders = holders;
			this.lastError = null;
			if (!holders.isEmpty() || !apply) {
				return false;
			}
			logger.info("No live instance's changelog lacks " + describe(pending) + " of '" + this.name
					+ "': applying them");
			this.gate.get().run(this.contracts);
			this.pending = this.contracts.changelog().pendingContracts();
			List<ChangesetRef> applied = new ArrayList<>(this.applied);
			pending.stream().filter((changeset) -> !this.pending.contains(changeset)).forEach(applied::add);
			this.applied = List.copyOf(applied);
			return this.pending.isEmpty();
		}
		catch (Exception ex) {
			this.lastError = ex.getMessage();
			logger.warn("Could not " + (apply ? "apply" : "check") + " the contract changesets of '" + this.name + "': "
					+ ex.getMessage());
			return false;
		}
	}

	/**
	 * Returns the contract changesets this instance applied.
	 * @return the applied contract changesets, in the order they were applied
	 */
	public List<ChangesetRef> applied() {
		return this.applied;
	}

	/**
	 * Returns the contract changesets the database lacked at the last check.
	 * @return the pending contract changesets
	 */
	public List<ChangesetRef> pending() {
		return this.pending;
	}

	/**
	 * Returns the contract changesets of this instance's changelog, as its contexts and
	 * labels select them: any other the schema holds was applied by a newer version.
	 * @return the contract changesets this instance knows
	 * @throws IllegalStateException if the changelog cannot be read
	 */
	List<ChangesetRef> known() {
		try {
			return this.contracts.changelog().contracts();
		}
		catch (RuntimeException ex) {
			throw ex;
		}
		catch (Exception ex) {
			throw new IllegalStateException("Could not read the contract changesets of '" + this.name + "'", ex);
		}
	}

	/**
	 * Returns the live instances that held the pending contract changesets back at the last
	 * check.
	 * @return the instances whose changelog lacks one of them
	 */
	public List<Member> holders() {
		return this.holders;
	}

	/**
	 * Returns why the last attempt to apply them failed.
	 * @return the error, {@code null} after a check that did not fail
	 */
	public @Nullable String lastError() {
		return this.lastError;
	}

	/**
	 * Checks, with the registry locked against new instances until the contract changeset is
	 * done, that no live instance lacks it: inside the changeset's transaction, or for a
	 * changeset outside a transaction on a session of its own, held until the changeset ran.
	 * @param fleet this instance's membership
	 * @param dataSource the registry's database, for a session of the guard's own
	 * @param session the migration session
	 * @param changeSet the changeset about to run
	 * @return what holds the registry's lock until the changeset is done
	 * @throws Exception if an instance holds it back, or the registry cannot be read
	 */
	static ChangesetGuard.Hold guard(FleetMembership fleet, DataSource dataSource, Connection session,
			ChangeSet changeSet) throws Exception {
		if (!LiquibaseMigration.isContract(changeSet)) {
			return ChangesetGuard.Hold.NONE;
		}
		if (!session.getAutoCommit()) {
			checkLocked(fleet, session, changeSet);
			return ChangesetGuard.Hold.NONE;
		}
		// outside a transaction (DROP INDEX CONCURRENTLY) nothing on the migration session lasts
		// the changeset: a session of the guard's own holds the lock until it ran
		Connection guardSession = dataSource.getConnection();
		try {
			guardSession.setAutoCommit(false);
			checkLocked(fleet, guardSession, changeSet);
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

	private static void checkLocked(FleetMembership fleet, Connection session, ChangeSet changeSet) throws Exception {
		try (Statement statement = session.createStatement()) {
			// a registration waits for this changeset to be done, and then sees it applied
			statement.execute("LOCK TABLE " + fleet.tableName() + " IN SHARE MODE");
		}
		String key = ChangesetRef.registryKey(changeSet.getId(), changeSet.getAuthor());
		List<Member> holders = fleet.live(session)
			.stream()
			.filter((member) -> !member.self() && !member.contracts().contains(key))
			.toList();
		if (!holders.isEmpty()) {
			throw new IllegalStateException("Contract changeset " + changeSet.getId() + " (" + changeSet.getAuthor()
					+ ") is held back by " + holders + ", which started meanwhile");
		}
	}

	private static List<Member> holders(List<Member> live, List<ChangesetRef> pending) {
		return live.stream()
			.filter((member) -> !member.self())
			.filter((member) -> pending.stream()
				.anyMatch((changeset) -> !member.contracts().contains(changeset.registryKey())))
			.toList();
	}

	private static List<String> ids(List<Member> members) {
		return members.stream().map(Member::instanceId).toList();
	}

	private static String describe(List<ChangesetRef> changesets) {
		return String.join(", ", changesets.stream().map((changeset) -> changeset.id() + " (" + changeset.author() + ")")
			.toList());
	}

}
