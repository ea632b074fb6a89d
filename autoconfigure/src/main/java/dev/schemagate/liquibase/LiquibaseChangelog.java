package dev.schemagate.liquibase;

import java.util.List;

import dev.schemagate.contract.ContractChangesets;
import dev.schemagate.fleet.FleetRegistry.Registration;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import liquibase.changelog.ChangeSet;

/**
 * One Liquibase bean's changelog as its {@link LiquibaseSelection} selects it, read once
 * from the database's point of view (contexts, labels, database type) and shared by every
 * run of the bean: what the fleet registry records of it, its contract changesets, and the
 * up-to-date check.
 */
public final class LiquibaseChangelog {

	private final LiquibaseSelection selection;

	private final UpToDateCheck upToDateCheck;

	/**
	 * Creates the changelog of a Liquibase bean, read on first use.
	 * @param selection what the bean migrates
	 */
	public LiquibaseChangelog(LiquibaseSelection selection) {
		this.selection = selection;
		this.upToDateCheck = new UpToDateCheck(selection);
	}

	/**
	 * Returns the application's selection of the changelog, contract changesets included.
	 * @return the selection
	 */
	public LiquibaseSelection selection() {
		return this.selection;
	}

	UpToDateCheck upToDateCheck() {
		return this.upToDateCheck;
	}

	/**
	 * Reads what the fleet registry records of this instance's changelog: its last
	 * changeset, its contract changesets and all its changesets.
	 * @return the registration
	 * @throws Exception if the changelog or the database cannot be read
	 */
	public Registration registration() throws Exception {
		List<ChangeSet> selected = this.upToDateCheck.selected(this.selection.dataSource());
		String head = selected.isEmpty() ? null : selected.get(selected.size() - 1).getId();
		return new Registration(head,
				selected.stream().filter(ContractChangesets::isContract).map(LiquibaseChangelog::registryKey).toList(),
				selected.stream().map(LiquibaseChangelog::registryKey).toList());
	}

	/**
	 * Returns how the fleet registry names a changeset.
	 * @param changeSet the changeset
	 * @return its registry key
	 */
	static String registryKey(ChangeSet changeSet) {
		return ChangesetRef.registryKey(changeSet.getId(), changeSet.getAuthor());
	}

	/**
	 * Returns the contract changesets of the changelog that this instance's contexts and
	 * labels select.
	 * @return the contract changesets, in changelog order
	 * @throws Exception if the changelog or the database cannot be read
	 */
	public List<ChangesetRef> contracts() throws Exception {
		return LiquibaseMigration.refs(this.upToDateCheck.selected(this.selection.dataSource())
			.stream()
			.filter(ContractChangesets::isContract)
			.toList());
	}

	/**
	 * Reads the contract changesets of the changelog, as this instance's contexts and labels
	 * select them, that the database lacks.
	 * @return the pending contract changesets, in changelog order
	 * @throws Exception if the changelog or the database cannot be read
	 */
	public List<ChangesetRef> pendingContracts() throws Exception {
		List<ChangesetRef> contracts = contracts();
		return contracts.isEmpty() ? contracts : new ChangelogTable(this.selection).missing(contracts);
	}

}
