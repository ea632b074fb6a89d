package dev.schemagate.autoconfigure;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import dev.schemagate.fleet.FleetMembership;
import dev.schemagate.fleet.FleetRegistry.Member;
import dev.schemagate.fleet.HoldBack;
import dev.schemagate.gate.MigrationGate;
import dev.schemagate.liquibase.ForeignLockWait;
import dev.schemagate.liquibase.DowngradeHold;
import dev.schemagate.liquibase.LiquibaseDowngrade;
import dev.schemagate.liquibase.LiquibaseSelection;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * With {@code schemagate.downgrade.enabled}, rolls back the changesets a newer version of
 * the application applied, which this instance's changelog does not know, once no live
 * instance of the fleet has them in its changelog: the mirror image of contract
 * changesets. Until then this instance serves on the newer schema, whose expand changesets
 * are safe for the version before. Checked at start and then on the contract schedule by
 * every instance; rolled back under the gate's lock, with the fleet registry locked and
 * read again inside the downgrade's transaction, so that a newer instance starting
 * meanwhile either is seen and holds it back, or registers after the commit and migrates
 * forward again.
 */
public final class DowngradePhase implements DowngradeHold {

	private static final Log logger = LogFactory.getLog(DowngradePhase.class);

	private final String name;

	private final @Nullable LiquibaseDowngrade downgrade;

	private final Supplier<MigrationGate> gate;

	private final FleetMembership fleet;

	private volatile List<ChangesetRef> pending = List.of();

	private volatile List<Member> holders = List.of();

	private volatile @Nullable String lastError;

	private final List<ChangesetRef> rolledBack = new CopyOnWriteArrayList<>();

	/**
	 * Creates the downgrade phase of one Liquibase bean.
	 * @param name the bean's name
	 * @param selection what the bean migrates
	 * @param foreignLockWait how to wait for Liquibase's lock while a process
	 * outside the fleet may hold it
	 * @param rollbackTable the table the rollbacks are recorded in, {@code null} when
	 * downgrades are disabled
	 * @param gate the gate it runs under
	 * @param fleet this instance's membership
	 */
	DowngradePhase(String name, LiquibaseSelection selection, ForeignLockWait foreignLockWait,
			@Nullable String rollbackTable, Supplier<MigrationGate> gate, FleetMembership fleet) {
		this.name = name;
		this.downgrade = (rollbackTable != null)
				? new LiquibaseDowngrade(selection, foreignLockWait, rollbackTable, this) : null;
		this.gate = gate;
		this.fleet = fleet;
	}

	/**
	 * Rolls back the changesets a newer version applied if no live instance holds them
	 * back.
	 * @param schemaAhead reads the changesets the schema holds that this instance's
	 * changelog does not know
	 * @return whether it rolled them back
	 */
	synchronized boolean applyIfAllowed(Supplier<List<ChangesetRef>> schemaAhead) {
		if (this.downgrade == null) {
			return false;
		}
		List<ChangesetRef> ahead = List.of();
		try {
			ahead = schemaAhead.get();
			if (ahead.isEmpty()) {
				heldBack(List.of(), List.of(), null);
				return false;
			}
			// an instance outside the registry cannot tell who else runs: it rolls nothing back
			this.fleet.joinIfNotYet();
			List<Member> holders = HoldBack.ofDowngrade(this.fleet, keys(ahead));
			if (!holders.isEmpty()) {
				heldBack(ahead, holders, null);
				return false;
			}
			logger.info("No live instance's changelog has " + describe(ahead) + " of '" + this.name
					+ "', which a newer version applied: rolling them back");
			this.gate.get().run(this.downgrade);
			return this.pending.isEmpty();
		}
		catch (Exception ex) {
			this.pending = List.copyOf(ahead);
			this.lastError = ex.getMessage();
			logger.warn("Could not roll back the changesets a newer version applied to '" + this.name + "': "
					+ ex.getMessage());
			return false;
		}
	}

	@Override
	public List<Member> holders(Connection session, List<String> changesets) throws SQLException {
		return HoldBack.ofDowngrade(this.fleet, session, changesets);
	}

	@Override
	public void lockAgainstNewInstances(Connection session) throws SQLException {
		this.fleet.lockAgainstNewInstances(session);
	}

	@Override
	public void heldBack(List<ChangesetRef> changesets, List<Member> holders, @Nullable String error) {
		// logged when who holds them back changes, not at every check of the same instances
		if (!holders.isEmpty() && !ids(holders).equals(ids(this.holders))) {
			logger.info(changesets.size() + " changeset" + ((changesets.size() != 1) ? "s" : "") + " of '" + this.name
					+ "' that a newer version applied (" + describe(changesets) + ") stay while " + holders.size()
					+ " live instance" + ((holders.size() != 1) ? "s" : "") + " whose changelog has them run"
					+ ((holders.size() != 1) ? "" : "s") + ": " + holders + "; this instance serves on them and rolls "
					+ "them back once the last of those is gone");
		}
		this.pending = List.copyOf(changesets);
		this.holders = List.copyOf(holders);
		this.lastError = error;
	}

	@Override
	public void rolledBack(List<ChangesetRef> changesets) {
		this.rolledBack.addAll(changesets);
	}

	/**
	 * Returns the changesets of a newer version this instance rolled back.
	 * @return the changesets, in the order they had been applied
	 */
	public List<ChangesetRef> rolledBack() {
		return List.copyOf(this.rolledBack);
	}

	/**
	 * Whether downgrades are enabled for this Liquibase bean.
	 * @return whether it rolls back what a newer version applied
	 */
	public boolean enabled() {
		return this.downgrade != null;
	}

	/**
	 * Returns the changesets a newer version applied that wait to be rolled back, as of
	 * the last check.
	 * @return the changesets, in the order they were applied
	 */
	public List<ChangesetRef> pending() {
		return this.pending;
	}

	/**
	 * Returns the live instances whose changelog has a changeset waiting to be rolled back,
	 * as of the last check.
	 * @return the instances that hold the downgrade back
	 */
	public List<Member> holders() {
		return this.holders;
	}

	/**
	 * Returns why the last check or downgrade failed.
	 * @return the error, {@code null} after one that did not fail
	 */
	public @Nullable String lastError() {
		return this.lastError;
	}

	private static List<String> keys(List<ChangesetRef> changesets) {
		return changesets.stream().map(ChangesetRef::registryKey).toList();
	}

	private static List<String> ids(List<Member> members) {
		return members.stream().map(Member::instanceId).toList();
	}

	private static String describe(List<ChangesetRef> changesets) {
		return String.join(", ",
				changesets.stream().map((changeset) -> changeset.id() + " (" + changeset.author() + ")").toList());
	}

}
