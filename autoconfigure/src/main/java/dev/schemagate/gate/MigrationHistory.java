package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import javax.sql.DataSource;

import dev.schemagate.database.GateDatabase;
import dev.schemagate.database.UtcTimes;
import dev.schemagate.status.ChangesetRun;
import org.jspecify.annotations.Nullable;

import org.springframework.core.NestedExceptionUtils;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The migration history ({@code SCHEMAGATE_HISTORY}): which instance applied which changeset,
 * when, for how long, as which database user and from which application version, so that
 * a fleet's migrations can be audited.
 */
public final class MigrationHistory {

	private static final String SELECT_ENTRIES = "SELECT INSTANCE_ID, HOST, PID, APP_VERSION, DB_USER, CHANGESET_ID, "
			+ "CHANGESET_AUTHOR, CHANGELOG, STARTED_AT, DURATION_MS, OUTCOME, ERROR FROM ";

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
	 * @param database the database the gate speaks to
	 * @param fenced the fenced session
	 * @throws GateTableUnavailableException if it is missing and cannot be created
	 */
	void ensureExists(GateDatabase database, Connection fenced) {
		Tables.ensureExists(database, fenced, GateDatabase.GateTable.HISTORY, this.tableName);
	}

	void record(DataSource dataSource, String key, Instance instance, String databaseUser, ChangesetRun changeset,
			Instant startedAt, Duration took, Outcome outcome, @Nullable Throwable failure) {
		String error = (failure != null) ? NestedExceptionUtils.getMostSpecificCause(failure).getMessage() : null;
		new JdbcTemplate(dataSource).update("INSERT INTO " + this.tableName + " (LOCK_KEY, INSTANCE_ID, HOST, PID, "
				+ "APP_VERSION, DB_USER, CHANGESET_ID, CHANGESET_AUTHOR, CHANGELOG, STARTED_AT, DURATION_MS, OUTCOME, "
				+ "ERROR) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (PreparedStatement statement) -> {
					statement.setString(1, key);
					statement.setString(2, instance.id());
					statement.setString(3, instance.host());
					statement.setLong(4, instance.pid());
					statement.setString(5, instance.version());
					statement.setString(6, databaseUser);
					statement.setString(7, changeset.id());
					statement.setString(8, changeset.author());
					statement.setString(9, changeset.changelog());
					UtcTimes.set(statement, 10, startedAt);
					statement.setLong(11, took.toMillis());
					statement.setString(12, outcome.name());
					statement.setString(13, (error != null && error.length() > 2000) ? error.substring(0, 2000) : error);
				});
	}

	/**
	 * Returns where the history stands now, so that what is recorded later can be told.
	 * @param connection any session
	 * @param key the lock key
	 * @return the id of the last entry of the key, 0 when there is none
	 * @throws SQLException if the database fails
	 */
	long mark(Connection connection, String key) throws SQLException {
		if (!Tables.exists(connection, this.tableName)) {
			return 0;
		}
		try (PreparedStatement statement = connection
			.prepareStatement("SELECT coalesce(max(ID), 0) FROM " + this.tableName + " WHERE LOCK_KEY = ?")) {
			statement.setString(1, key);
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getLong(1);
			}
		}
	}

	/**
	 * Reads the changesets that failed, in a way running them again would repeat, after a
	 * mark.
	 * @param connection any session
	 * @param key the lock key
	 * @param mark the last entry before them
	 * @return those failures, oldest first
	 * @throws SQLException if the database fails
	 */
	List<Entry> failedSince(Connection connection, String key, long mark) throws SQLException {
		List<Entry> failed = new ArrayList<>();
		try (PreparedStatement statement = connection.prepareStatement(SELECT_ENTRIES + this.tableName
				+ " WHERE LOCK_KEY = ? AND ID > ? AND OUTCOME = 'FAILED' ORDER BY ID")) {
			statement.setString(1, key);
			statement.setLong(2, mark);
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					failed.add(entry(result));
				}
			}
		}
		return failed;
	}

	/**
	 * Reads the most recent entries, newest first.
	 * @param dataSource the migration data source
	 * @param limit how many entries at most
	 * @return the entries, empty when no migration has been recorded yet
	 */
	public List<Entry> recent(DataSource dataSource, int limit) {
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		Boolean exists = jdbc.execute((Connection connection) -> Tables.exists(connection, this.tableName));
		if (!Boolean.TRUE.equals(exists)) {
			return List.of();
		}
		return jdbc.query(SELECT_ENTRIES + this.tableName + " ORDER BY ID DESC LIMIT ?", (rs, row) -> entry(rs),
				limit);
	}

	private static Entry entry(ResultSet rs) throws SQLException {
		return new Entry(rs.getString(1).strip(), rs.getString(2), rs.getLong(3), rs.getString(4), rs.getString(5),
				rs.getString(6), rs.getString(7), rs.getString(8), Objects.requireNonNull(UtcTimes.read(rs, 9)), rs.getLong(10),
				rs.getString(11), rs.getString(12));
	}

	/**
	 * How a changeset's run ended.
	 */
	enum Outcome {

		/** Applied and recorded. */
		APPLIED,

		/** Failed in a way running it again repeats: the instances waiting stop with it. */
		FAILED,

		/**
		 * Failed in a way running it again may heal (a lost connection, a deadlock, a lock
		 * time-out, a leader told to stop): the next leader runs it again.
		 */
		FAILED_TRANSIENT

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
	 * @param outcome {@code APPLIED}, {@code FAILED} (the fleet stops with it) or
	 * {@code FAILED_TRANSIENT} (the next leader runs it again)
	 * @param error the failure's message
	 */
	public record Entry(String instanceId, String host, long pid, @Nullable String appVersion, String databaseUser,
			String changesetId, String author, String changelog, Instant startedAt, long durationMillis,
			String outcome, @Nullable String error) {
	}

}
