package dev.schemagate.liquibase;

import java.util.Locale;

import liquibase.Labels;
import liquibase.changelog.ChangeSet;

/**
 * Contract changesets: those labelled {@code contract} (or inheriting the label from an
 * include), which remove what the previous version of the application still uses.
 */
final class ContractChangesets {

	static final String LABEL = "contract";

	private ContractChangesets() {
	}

	static boolean isContract(ChangeSet changeSet) {
		String labels = changeSet.buildFullLabels();
		return labels != null && new Labels(labels).getLabels()
			.stream()
			.anyMatch((label) -> label.toLowerCase(Locale.ROOT).equals(LABEL));
	}

	// Liquibase splits a filter at its commas before anything else: they become 'or' here
	static String excluding(String labelFilter) {
		if (labelFilter == null || labelFilter.isBlank()) {
			return "!" + LABEL;
		}
		return "(" + labelFilter.replace(",", " or ") + ") and !" + LABEL;
	}

	static String key(ChangeSet changeSet) {
		return changeSet.getId() + ":" + changeSet.getAuthor();
	}

}
