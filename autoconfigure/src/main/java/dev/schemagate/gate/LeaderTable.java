package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

import javax.sql.DataSource;

import dev.schemagate.database.GateDatabase;
import dev.schemagate.status.ChangesetRun;
import dev.schemagate.status.LeaderProgress;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The leader's live progress ({@code SCHEMAGATE_LEADER}), one row per lock: who migrates and
 * which changeset it runs. The leader writes it on a pooled connection of its own, outside the
 * changeset's transaction, so that waiting instances see it at once.
 */
final class LeaderTable {

	private final String tableName;

	LeaderTable(String tablePrefix) {
		this.tableName = tablePrefix + "LEADER";
	}

	String tableName() {
		return this.tableName;
	}

	/**
	 * Creates the table unless it exists.
	 * @param database the database the gate speaks to
	 * @param fenced the fenced session
	 * @throws GateTableUnavailableException if it is missing and cannot be created
	 */
	void ensureExists(GateDatabase database, Connection fenced) {
		Tables.ensureExists(database, fenced, GateDatabase.GateTable.LEADER, this.tableName);
	}

	void claim(GateDatabase database, DataSource dataSource, String key, Instance instance) {
		String reset = database.assignInserted("INSTANCE_ID", "HOST", "PID", "ACQUIRED_AT");
		new JdbcTemplate(dataSource).update("INSERT INTO " + this.tableName
				+ " (LOCK_KEY, INSTANCE_ID, HOST, PID, ACQUIRED_AT) VALUES (?, ?, ?, ?, " + database.now() + ")"
				+ database.onDuplicateKey("LOCK_KEY", reset + ", CHANGESET_INDEX = NULL, CHANGESET_COUNT = NULL, "
						+ "CHANGESET_ID = NULL, CHANGESET_AUTHOR = NULL, CHANGELOG = NULL, CHANGESET_STARTED_AT = NULL"),
				key, instance.id(), instance.host(), instance.pid());
	}

	void running(GateDatabase database, DataSource dataSource, String key, Instance instance,
			ChangesetRun changeset) {
		new JdbcTemplate(dataSource).update("UPDATE " + this.tableName + " SET CHANGESET_INDEX = ?, CHANGESET_COUNT = ?, "
				+ "CHANGESET_ID = ?, CHANGESET_AUTHOR = ?, CHANGELOG = ?, CHANGESET_STARTED_AT = " + database.now()
				+ " WHERE LOCK_KEY = ? AND INSTANCE_ID = ?", changeset.index(), changeset.count(), changeset.id(),
				changeset.author(), changeset.changelog(), key, instance.id());
	}

	void release(DataSource dataSource, String key, Instance instance) {
		new JdbcTemplate(dataSource).update(
				"DELETE FROM " + this.tableName + " WHERE LOCK_KEY = ? AND INSTANCE_ID = ?", key, instance.id());
	}

	/**
	 * Reads the leader's progress.
	 * @param database the database the gate speaks to
	 * @param connection any session on the database
	 * @param key the lock key
	 * @return the progress, empty when nobody has published any
	 * @throws SQLException if the database fails
	 */
	Optional<LeaderProgress> read(GateDatabase database, Connection connection, String key) throws SQLException {
		try (PreparedStatement statement = connection
			.prepareStatement("SELECT " + LeaderProgress.columns("") + " FROM " + this.tableName + " WHERE LOCK_KEY = ?")) {
			statement.setString(1, key);
			try (ResultSet result = statement.executeQuery()) {
				return result.next() ? LeaderProgress.read(result) : Optional.empty();
			}
		}
		catch (SQLException ex) {
			if (database.tableMissing(ex)) {
				// nobody has led on this database yet
				return Optional.empty();
			}
			throw ex;
		}
	}

}
