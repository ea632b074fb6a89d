package dev.schemagate.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import dev.schemagate.fleet.FleetMembership;
import dev.schemagate.fleet.FleetRegistry.Member;
import dev.schemagate.fleet.HoldBack;
import dev.schemagate.gate.MigrationGate;
import dev.schemagate.liquibase.LiquibaseMigration;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
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
			List<Member> holders = HoldBack.ofContracts(this.fleet.live(),
					pending.stream().map(ChangesetRef::registryKey).toList());
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

	private static List<String> ids(List<Member> members) {
		return members.stream().map(Member::instanceId).toList();
	}

	private static String describe(List<ChangesetRef> changesets) {
		return String.join(", ", changesets.stream().map((changeset) -> changeset.id() + " (" + changeset.author() + ")")
			.toList());
	}

}
