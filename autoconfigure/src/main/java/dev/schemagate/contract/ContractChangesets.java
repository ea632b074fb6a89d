package dev.schemagate.contract;

import liquibase.Labels;
import liquibase.changelog.ChangeSet;
import org.jspecify.annotations.Nullable;

/**
 * Contract changesets: those labelled {@code contract} (or inheriting the label from an
 * include), which remove what the previous version of the application still uses. The start
 * leaves them out; they are applied once no live instance's changelog lacks them, and the
 * changeset check lets them break the previous version.
 */
public final class ContractChangesets {

	/**
	 * The label of contract changesets.
	 */
	public static final String LABEL = "contract";

	private ContractChangesets() {
	}

	/**
	 * Tells whether a changeset is a contract changeset: labelled {@code contract}, or
	 * inheriting the label from an include; Liquibase compares labels ignoring case.
	 * @param changeSet the changeset
	 * @return whether it is
	 */
	public static boolean isContract(ChangeSet changeSet) {
		String labels = changeSet.buildFullLabels();
		return labels != null && new Labels(labels).getLabels().contains(LABEL);
	}

	/**
	 * Returns a label filter that selects what the given one selects, except contract
	 * changesets.
	 * @param labelFilter the filter, {@code null} or empty for none
	 * @return the filter without contract changesets
	 */
	// Liquibase splits a filter at its commas before anything else: they become 'or' here
	public static String excluding(@Nullable String labelFilter) {
		if (labelFilter == null || labelFilter.isBlank()) {
			return "!" + LABEL;
		}
		return "(" + labelFilter.replace(",", " or ") + ") and !" + LABEL;
	}

}
