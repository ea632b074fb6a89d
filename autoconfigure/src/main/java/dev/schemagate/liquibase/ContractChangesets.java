package dev.schemagate.liquibase;

import dev.schemagate.check.ChangesetCheck;
import dev.schemagate.gate.SchemaPosition.ChangesetRef;
import liquibase.changelog.ChangeSet;
import org.jspecify.annotations.Nullable;

/**
 * Contract changesets: those labelled {@code contract} (or inheriting the label from an
 * include), which remove what the previous version of the application still uses.
 */
final class ContractChangesets {

	static final String LABEL = ChangesetCheck.CONTRACT_LABEL;

	private ContractChangesets() {
	}

	static boolean isContract(ChangeSet changeSet) {
		return ChangesetCheck.isContract(changeSet);
	}

	// Liquibase splits a filter at its commas before anything else: they become 'or' here
	static String excluding(@Nullable String labelFilter) {
		if (labelFilter == null || labelFilter.isBlank()) {
			return "!" + LABEL;
		}
		return "(" + labelFilter.replace(",", " or ") + ") and !" + LABEL;
	}

	// how the fleet registry names it
	static String key(ChangeSet changeSet) {
		return ChangesetRef.registryKey(changeSet.getId(), changeSet.getAuthor());
	}

}
