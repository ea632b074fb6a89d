package dev.schemagate.check;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import liquibase.changelog.ChangeSet;
import org.jspecify.annotations.Nullable;

/**
 * What the changes of one changeset do, gathered as they are checked: the rules they trip,
 * the existing tables whose schema or data they change, and the tables they create, which
 * are new for the rest of the check.
 */
final class ChangesetScan {

	private final ChangeSet changeSet;

	private final Map<Rule, String> allowed;

	private final Set<String> newTables;

	private final List<Finding> findings = new ArrayList<>();

	private final Set<String> schemaChanged = new LinkedHashSet<>();

	private @Nullable String dataChanged;

	ChangesetScan(ChangeSet changeSet, Map<Rule, String> allowed, Set<String> newTables) {
		this.changeSet = changeSet;
		this.allowed = allowed;
		this.newTables = newTables;
	}

	ChangeSet changeSet() {
		return this.changeSet;
	}

	void created(String table) {
		this.newTables.add(name(table));
	}

	/**
	 * Tells whether a table exists before the changesets checked: what is done to a table
	 * they create is not held against them.
	 */
	boolean existing(@Nullable String table) {
		return table != null && !this.newTables.contains(name(table));
	}

	void found(Rule rule, String change) {
		this.findings.add(new Finding(rule, this.changeSet.getId(), this.changeSet.getAuthor(),
				this.changeSet.getFilePath(), change, this.allowed.get(rule)));
	}

	void schemaChanged(@Nullable String table) {
		if (existing(table)) {
			this.schemaChanged.add(table);
		}
	}

	void dataChanged(@Nullable String table) {
		if (existing(table)) {
			this.dataChanged = table;
		}
	}

	List<Finding> findings() {
		if (this.dataChanged != null && !this.schemaChanged.isEmpty()) {
			found(Rule.BACKFILL_WITH_DDL, "changes the data of " + this.dataChanged + " in the changeset that alters "
					+ String.join(", ", this.schemaChanged));
			this.dataChanged = null;
		}
		return this.findings;
	}

	// unquoted and folded as PostgreSQL folds an unquoted name
	private static String name(String table) {
		if (table.length() > 1 && table.startsWith("\"") && table.endsWith("\"")) {
			return table.substring(1, table.length() - 1);
		}
		return table.toLowerCase(Locale.ROOT);
	}

}
