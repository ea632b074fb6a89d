package dev.schemagate.check;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.schemagate.contract.ContractChangesets;
import liquibase.change.AbstractSQLChange;
import liquibase.change.AddColumnConfig;
import liquibase.change.Change;
import liquibase.change.ChangeFactory;
import liquibase.change.ColumnConfig;
import liquibase.change.ConstraintsConfig;
import liquibase.change.core.AbstractModifyDataChange;
import liquibase.change.core.AddColumnChange;
import liquibase.change.core.AddForeignKeyConstraintChange;
import liquibase.change.core.AddNotNullConstraintChange;
import liquibase.change.core.CreateIndexChange;
import liquibase.change.core.CreateTableChange;
import liquibase.change.core.DropColumnChange;
import liquibase.change.core.DropTableChange;
import liquibase.change.core.EmptyChange;
import liquibase.change.core.ExecuteShellCommandChange;
import liquibase.change.core.InsertDataChange;
import liquibase.change.core.LoadDataChange;
import liquibase.change.core.ModifyDataTypeChange;
import liquibase.change.core.OutputChange;
import liquibase.change.core.RenameColumnChange;
import liquibase.change.core.RenameTableChange;
import liquibase.change.core.StopChange;
import liquibase.change.core.TagDatabaseChange;
import liquibase.change.custom.CustomChangeWrapper;
import liquibase.changelog.ChangeSet;
import org.jspecify.annotations.Nullable;

/**
 * Checks changesets for changes that are unsafe while the previous version still serves on
 * the schema or while the application is busy, each a {@link Rule}. Liquibase's change
 * types are checked from their objects, raw SQL with JSqlParser. A table created by one of
 * the changesets checked is new, and what is done to it is not held against it. A changeset
 * allows a rule with
 * {@code schemagate:allow=<rule id>} in its comment or labels, followed by the reason in the
 * comment. A contract changeset (labelled {@code contract}), which schemagate applies once no
 * instance of the previous version runs, may break the previous version, but is still told of
 * a type change, which rewrites the table under an exclusive lock however late it runs.
 */
public final class ChangesetCheck {

	private static final Pattern ALLOW = Pattern.compile("schemagate:allow=([a-z-]+(?:,[a-z-]+)*)\\s*(.*)",
			Pattern.DOTALL);

	/**
	 * Checks changesets, in the order they would run.
	 * @param changeSets the changesets
	 * @param dialect the database they run on
	 * @return the findings, in order, allowed ones included
	 */
	public List<Finding> check(List<ChangeSet> changeSets, Dialect dialect) {
		Set<String> newTables = new HashSet<>();
		List<Finding> findings = new ArrayList<>();
		for (ChangeSet changeSet : changeSets) {
			ChangesetScan scan = new ChangesetScan(changeSet, allowed(changeSet), newTables, dialect);
			for (Change change : changeSet.getChanges()) {
				check(change, scan);
			}
			findings.addAll(scan.findings());
		}
		return findings;
	}

	private void check(Change change, ChangesetScan scan) {
		if (change instanceof AbstractSQLChange sql) {
			SqlChangeCheck.check(sql, scan);
		}
		else if (change instanceof CreateTableChange createTable) {
			scan.created(createTable.getTableName());
			scan.ddl(describe(change));
		}
		else if (change instanceof InsertDataChange || change instanceof LoadDataChange
				|| change instanceof AbstractModifyDataChange) {
			scan.dataChanged(dataTable(change));
		}
		else if (!(change instanceof TagDatabaseChange || change instanceof OutputChange
				|| change instanceof EmptyChange || change instanceof StopChange
				|| change instanceof ExecuteShellCommandChange || change instanceof CustomChangeWrapper)) {
			scan.ddl(describe(change));
			scan.schemaChanged(checkSchemaChange(change, scan));
		}
	}

	// the change type's name and the table it changes, as a changelog names them
	private static String describe(Change change) {
		String name = ChangeFactory.getInstance().getChangeMetaData(change).getName();
		Object tableName = change.getSerializableFields().contains("tableName")
				? change.getSerializableFieldValue("tableName") : null;
		return name + ((tableName != null) ? " " + tableName : "");
	}

	// reports what the change trips and returns the table whose schema it changes
	private @Nullable String checkSchemaChange(Change change, ChangesetScan scan) {
		if (change instanceof DropColumnChange dropColumn) {
			if (scan.existing(dropColumn.getTableName())) {
				for (String column : dropColumnNames(dropColumn)) {
					scan.dropsColumn(dropColumn.getTableName(), column);
				}
			}
			return dropColumn.getTableName();
		}
		if (change instanceof DropTableChange dropTable) {
			if (scan.existing(dropTable.getTableName())) {
				scan.dropsTable(dropTable.getTableName());
			}
			return dropTable.getTableName();
		}
		if (change instanceof RenameColumnChange rename) {
			if (scan.existing(rename.getTableName())) {
				scan.renamesColumn(rename.getTableName(), rename.getOldColumnName(), rename.getNewColumnName());
			}
			return rename.getTableName();
		}
		if (change instanceof RenameTableChange rename) {
			if (scan.existing(rename.getOldTableName())) {
				scan.renamesTable(rename.getOldTableName(), rename.getNewTableName());
			}
			else {
				scan.created(rename.getNewTableName());
			}
			return rename.getOldTableName();
		}
		if (change instanceof ModifyDataTypeChange modify) {
			if (scan.existing(modify.getTableName())) {
				scan.changesType(modify.getTableName(), modify.getColumnName(), modify.getNewDataType());
			}
			return modify.getTableName();
		}
		if (change instanceof AddColumnChange addColumn) {
			if (scan.existing(addColumn.getTableName())) {
				for (AddColumnConfig column : addColumn.getColumns()) {
					ConstraintsConfig constraints = column.getConstraints();
					if (constraints != null && Boolean.FALSE.equals(constraints.isNullable()) && !column.hasDefaultValue()) {
						scan.addsNotNullColumnWithoutDefault(addColumn.getTableName(), column.getName());
					}
				}
			}
			return addColumn.getTableName();
		}
		if (change instanceof CreateIndexChange createIndex) {
			if (scan.existing(createIndex.getTableName())) {
				scan.createsIndexWithoutConcurrently(createIndex.getIndexName(), createIndex.getTableName());
			}
			return createIndex.getTableName();
		}
		if (change instanceof AddForeignKeyConstraintChange foreignKey) {
			if (scan.existing(foreignKey.getBaseTableName()) && !Boolean.FALSE.equals(foreignKey.getValidate())) {
				scan.addsForeignKeyWithoutNotValid(foreignKey.getConstraintName(), foreignKey.getBaseTableName());
			}
			return foreignKey.getBaseTableName();
		}
		if (change instanceof AddNotNullConstraintChange notNull) {
			if (scan.existing(notNull.getTableName())) {
				scan.setsNotNull(notNull.getTableName(), notNull.getColumnName());
			}
			return notNull.getTableName();
		}
		return null;
	}

	private static List<String> dropColumnNames(DropColumnChange dropColumn) {
		if (dropColumn.getColumnName() != null) {
			return List.of(dropColumn.getColumnName());
		}
		return dropColumn.getColumns().stream().map(ColumnConfig::getName).toList();
	}

	private static String dataTable(Change change) {
		if (change instanceof InsertDataChange insert) {
			return insert.getTableName();
		}
		if (change instanceof LoadDataChange load) {
			return load.getTableName();
		}
		return ((AbstractModifyDataChange) change).getTableName();
	}

	// the rules the changeset allows, each with its reason
	private static Map<Rule, String> allowed(ChangeSet changeSet) {
		Map<Rule, String> allowed = new LinkedHashMap<>();
		if (ContractChangesets.isContract(changeSet)) {
			for (Rule rule : Rule.values()) {
				if (rule.onlyBreaksPreviousVersion()) {
					allowed.put(rule, "a contract changeset, applied once no instance of the previous version runs");
				}
			}
		}
		List<String> sources = new ArrayList<>();
		if (changeSet.getComments() != null) {
			sources.add(changeSet.getComments());
		}
		if (changeSet.getLabels() != null) {
			sources.addAll(changeSet.getLabels().getLabels());
		}
		for (String source : sources) {
			Matcher matcher = ALLOW.matcher(source);
			while (matcher.find()) {
				String reason = matcher.group(2).strip();
				for (String id : matcher.group(1).split(",")) {
					Rule.ofId(id).ifPresent((rule) -> allowed.put(rule,
							reason.isEmpty() ? "with schemagate:allow=" + id + " and no reason given" : reason));
				}
			}
		}
		return allowed;
	}

}
