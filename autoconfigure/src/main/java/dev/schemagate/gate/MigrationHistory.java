package dev.schemagate.gate;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import javax.sql.DataSource;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The migration history ({@code SCHEMAGATE_HISTORY}): which instance applied which changeset,
 * when, for how long, as which database user and from which application version, so that
 * a fleet's migrations can be audited.
 */
public final class MigrationHistory {

	private final String tableName;

	/**
	 * Creates the history with the given table prefix.
	 * @param tablePrefix the prefix of schemagate's own tables
	 */
	public MigrationHistory(String tablePrefix) {
		this.tableName = tablePrefix + "HISTORY";
	}

	/**
	 * Creates the table unless it exists.
	 * @param fenced the fenced session
	 * @throws GateTableUnavailableException if it is missing and cannot be created
	 */
	void ensureExists(Connection fenced) {
		Tables.ensureExists(fenced, this.tableName, ddl());
	}

	String ddl() {
		return "CREATE TABLE IF NOT EXISTS " + this.tableName + " (ID BIGSERIAL PRIMARY KEY, "
				+ "LOCK_KEY VARCHAR(255) NOT NULL, INSTANCE_ID CHAR(36) NOT NULL, HOST VARCHAR(255) NOT NULL, "
				+ "PID BIGINT NOT NULL, APP_VERSION VARCHAR(100), DB_USER VARCHAR(100) NOT NULL, "
				+ "CHANGESET_ID VARCHAR(255) NOT NULL, CHANGESET_AUTHOR VARCHAR(255) NOT NULL, "
				+ "CHANGELOG VARCHAR(1000) NOT NULL, STARTED_AT TIMESTAMP WITH TIME ZONE NOT NULL, "
				+ "DURATION_MS BIGINT NOT NULL, OUTCOME VARCHAR(20) NOT NULL, ERROR VARCHAR(2000))";
	}

	void record(DataSource dataSource, String key, Instance instance, String databaseUser, ChangesetRun changeset,
			Instant startedAt, Duration took, Throwable failure) {
		String error = (failure != null) ? String.valueOf(failure.getMessage()) : null;
		new JdbcTemplate(dataSource).update("INSERT INTO " + this.tableName + " (LOCK_KEY, INSTANCE_ID, HOST, PID, "
				+ "APP_VERSION, DB_USER, CHANGESET_ID, CHANGESET_AUTHOR, CHANGELOG, STARTED_AT, DURATION_MS, OUTCOME, "
				+ "ERROR) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", key, instance.id(), instance.host(),
				instance.pid(), instance.version(), databaseUser, changeset.id(), changeset.author(),
				changeset.changelog(), java.sql.Timestamp.from(startedAt), took.toMillis(),
				(failure != null) ? "FAILED" : "APPLIED",
				(error != null && error.length() > 2000) ? error.substring(0, 2000) : error);
	}

	/**
	 * Reads the most recent entries, newest first.
	 * @param dataSource the migration data source
	 * @param limit how many entries at most
	 * @return the entries, empty when no migration has been recorded yet
	 */
	public List<Entry> recent(DataSource dataSource, int limit) {
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		Boolean exists = jdbc.queryForObject("SELECT to_regclass(?) IS NOT NULL", Boolean.class, this.tableName);
		if (!Boolean.TRUE.equals(exists)) {
			return List.of();
		}
		return jdbc.query("SELECT INSTANCE_ID, HOST, PID, APP_VERSION, DB_USER, CHANGESET_ID, CHANGESET_AUTHOR, "
				+ "CHANGELOG, STARTED_AT, DURATION_MS, OUTCOME, ERROR FROM " + this.tableName
				+ " ORDER BY ID DESC LIMIT ?", (rs, row) -> new Entry(rs.getString(1), rs.getString(2), rs.getLong(3),
						rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
						rs.getTimestamp(9).toInstant(), rs.getLong(10), rs.getString(11), rs.getString(12)),
				limit);
	}

	/**
	 * One changeset run by one instance.
	 *
	 * @param instanceId the instance
	 * @param host its host
	 * @param pid its process id
	 * @param appVersion its application version
	 * @param databaseUser the database user it migrated as
	 * @param changesetId the changeset's id
	 * @param author the changeset's author
	 * @param changelog the changelog file
	 * @param startedAt when the changeset started
	 * @param durationMillis how long it ran
	 * @param outcome {@code APPLIED} or {@code FAILED}
	 * @param error the failure's message
	 */
	public record Entry(String instanceId, String host, long pid, String appVersion, String databaseUser,
			String changesetId, String author, String changelog, Instant startedAt, long durationMillis,
			String outcome, String error) {
	}

}
