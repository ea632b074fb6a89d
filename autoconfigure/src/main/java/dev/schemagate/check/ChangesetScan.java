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

	private final Dialect dialect;

	// every DDL statement and data change, new tables' included: where DDL commits by itself,
	// a changeset stopped between two of them leaves the first applied
	private final List<String> ddl = new ArrayList<>();

	private @Nullable String anyDataChanged;

	ChangesetScan(ChangeSet changeSet, Map<Rule, String> allowed, Set<String> newTables, Dialect dialect) {
		this.changeSet = changeSet;
		this.allowed = allowed;
		this.newTables = newTables;
		this.dialect = dialect;
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
		if (!rule.appliesTo(this.dialect)) {
			return;
		}
		this.findings.add(new Finding(rule, this.changeSet.getId(), this.changeSet.getAuthor(),
				this.changeSet.getFilePath(), change, this.allowed.get(rule)));
	}

	// what each rule reports, worded once for the change types and the raw SQL that trip it

	void dropsColumn(String table, String column) {
		found(Rule.DROP_COLUMN, "drops column " + table + "." + column);
	}

	void dropsTable(String table) {
		found(Rule.DROP_TABLE, "drops table " + table);
	}

	void renamesColumn(String table, String from, String to) {
		found(Rule.RENAME_COLUMN, "renames column " + table + "." + from + " to " + to);
	}

	void renamesTable(String from, String to) {
		found(Rule.RENAME_TABLE, "renames table " + from + " to " + to);
	}

	void changesType(String table, String column, Object type) {
		found(Rule.CHANGE_COLUMN_TYPE, "changes the type of " + table + "." + column + " to " + type);
	}

	void addsNotNullColumnWithoutDefault(String table, String column) {
		found(Rule.ADD_NOT_NULL_COLUMN_WITHOUT_DEFAULT,
				"adds column " + table + "." + column + " NOT NULL without a default");
	}

	void createsIndexWithoutConcurrently(@Nullable String index, String table) {
		found(Rule.CREATE_INDEX_WITHOUT_CONCURRENTLY,
				"creates index " + named(index) + "on " + table + " without CONCURRENTLY");
	}

	void addsForeignKeyWithoutNotValid(@Nullable String constraint, String table) {
		found(Rule.ADD_FOREIGN_KEY_WITHOUT_NOT_VALID,
				"adds foreign key " + named(constraint) + "on " + table + " without NOT VALID");
	}

	void addsCheckConstraintWithoutNotValid(@Nullable String constraint, String table) {
		found(Rule.ADD_CHECK_CONSTRAINT_WITHOUT_NOT_VALID,
				"adds check constraint " + named(constraint) + "on " + table + " without NOT VALID");
	}

	void setsNotNull(String table, String column) {
		found(Rule.SET_NOT_NULL, "sets " + table + "." + column + " NOT NULL");
	}

	private static String named(@Nullable String name) {
		return (name != null) ? name + " " : "";
	}

	void schemaChanged(@Nullable String table) {
		if (existing(table)) {
			this.schemaChanged.add(table);
		}
	}

	/**
	 * Counts one DDL statement, or one change type that runs as one.
	 * @param what what it does, such as {@code createTable sender}
	 */
	void ddl(String what) {
		this.ddl.add(what);
	}

	void dataChanged(@Nullable String table) {
		if (table != null) {
			this.anyDataChanged = table;
		}
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
		if (this.anyDataChanged != null && !this.ddl.isEmpty()) {
			found(Rule.DDL_WITH_DATA_CHANGE, "changes the data of " + this.anyDataChanged + " in the changeset that runs "
					+ String.join(", ", this.ddl));
			this.anyDataChanged = null;
		}
		if (this.ddl.size() > 1) {
			found(Rule.MULTIPLE_DDL_STATEMENTS, "runs " + this.ddl.size() + " DDL statements: " + String.join(", ", this.ddl));
			this.ddl.clear();
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
