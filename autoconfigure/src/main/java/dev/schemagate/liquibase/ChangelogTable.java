package dev.schemagate.liquibase;

import java.sql.Connection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.sql.DataSource;

import dev.schemagate.contract.ContractChangesets;
import dev.schemagate.status.SchemaPosition.ChangesetRef;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

/**
 * Liquibase's record of applied changesets ({@code DATABASECHANGELOG}), read live for
 * readiness and health.
 */
public final class ChangelogTable {

	private final DataSource dataSource;

	private final String tableName;

	/**
	 * Creates the reader of one Liquibase bean's changelog table.
	 * @param selection what the bean migrates
	 */
	public ChangelogTable(LiquibaseSelection selection) {
		this.dataSource = selection.dataSource();
		this.tableName = selection.changelogTable();
	}

	/**
	 * Returns the id of the changeset applied last.
	 * @return the id, empty when none has been applied
	 */
	public Optional<String> lastApplied() {
		List<String> ids = new JdbcTemplate(this.dataSource)
			.queryForList("SELECT ID FROM " + this.tableName + " ORDER BY ORDEREXECUTED DESC LIMIT 1", String.class);
		return ids.stream().findFirst();
	}

	/**
	 * Returns the required changesets the schema does not hold, compared as Liquibase
	 * compares them ({@link ChangesetKey}).
	 * @param required the changesets this instance requires
	 * @return those missing from the schema
	 */
	public List<ChangesetRef> missing(List<ChangesetRef> required) {
		Set<ChangesetKey> applied = new HashSet<>(new JdbcTemplate(this.dataSource).query(
				"SELECT FILENAME, ID, AUTHOR FROM " + this.tableName,
				(row, index) -> ChangesetKey.of(row.getString(1), row.getString(2), row.getString(3))));
		return required.stream().filter((changeset) -> !applied.contains(ChangesetKey.of(changeset))).toList();
	}

	/**
	 * Returns the changesets the schema holds that the changelog does not know, compared as
	 * Liquibase compares them: a newer version of the application applied them.
	 * @param known every changeset of the changelog
	 * @return those unknown to it, in the order they were applied
	 */
	public List<ChangesetRef> unknown(List<ChangesetRef> known) {
		return unknown(new JdbcTemplate(this.dataSource), known, "");
	}

	/**
	 * Returns the changesets the schema holds that the changelog does not know, compared as
	 * Liquibase compares them, read on a given session.
	 * @param session the session, left open
	 * @param known every changeset of the changelog
	 * @return those unknown to it, in the order they were applied
	 */
	public List<ChangesetRef> unknown(Connection session, List<ChangesetRef> known) {
		return unknown(new JdbcTemplate(new SingleConnectionDataSource(session, true)), known, "");
	}

	/**
	 * Returns the contract changesets the schema holds that this version does not know: they
	 * removed what it may still use.
	 * @param known the contract changesets of this version's changelog, as its contexts and
	 * labels select them
	 * @return those unknown to it and labelled {@code contract}, in the order they were
	 * applied
	 */
	public List<ChangesetRef> unknownContracts(List<ChangesetRef> known) {
		// LABELS holds the changeset's labels, comma-separated, as Liquibase wrote them
		return unknown(new JdbcTemplate(this.dataSource), known, " WHERE ',' || lower(replace(coalesce(LABELS, ''), ' ', '')) || ',' LIKE '%,"
				+ ContractChangesets.LABEL + ",%'");
	}

	private List<ChangesetRef> unknown(JdbcTemplate jdbc, List<ChangesetRef> known, String where) {
		Set<ChangesetKey> knownKeys = new HashSet<>();
		known.forEach((changeset) -> knownKeys.add(ChangesetKey.of(changeset)));
		return jdbc
			.query("SELECT ID, AUTHOR, FILENAME FROM " + this.tableName + where + " ORDER BY ORDEREXECUTED",
					(row, index) -> new ChangesetRef(row.getString(1), row.getString(2), row.getString(3)))
			.stream()
			.filter((changeset) -> !knownKeys.contains(ChangesetKey.of(changeset)))
			.toList();
	}

}
