package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

import dev.schemagate.database.GateDatabase;
import dev.schemagate.database.UtcTimes;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.integration.util.UUIDConverter;

/**
 * Spring Integration's lock table ({@code INT_LOCK} by default), created on first use,
 * and the removal of rows left behind by instances whose session is gone.
 * <p>
 * Both run on the fenced session, so only the leader creates the table or removes a row.
 */
final class LockTable {

	private static final Log logger = LogFactory.getLog(LockTable.class);

	private final String tableName;

	LockTable(String tablePrefix) {
		this.tableName = tablePrefix + "LOCK";
	}

	/**
	 * Creates the table unless it exists.
	 * @param database the database the gate speaks to
	 * @param fenced the fenced session
	 * @throws GateTableUnavailableException if it is missing and cannot be created
	 */
	void ensureExists(GateDatabase database, Connection fenced) {
		Tables.ensureExists(database, fenced, GateDatabase.GateTable.LOCK, this.tableName);
	}

	String tableName() {
		return this.tableName;
	}

	/**
	 * Returns the {@code LOCK_KEY} of a lock key, as Spring Integration stores it.
	 * @param key the lock key
	 * @return the stored key
	 */
	static String lockKey(String key) {
		return UUIDConverter.getUUID(key).toString();
	}

	/**
	 * Removes the row of the lock, which can only be left by an instance whose session has
	 * ended: every instance takes the fence before the row and lets go of the row first.
	 * @param fenced the fenced session
	 * @param region the lock region
	 * @param key the lock key
	 * @return the client id of the instance whose row was removed, if there was one
	 * @throws SQLException if the database fails
	 */
	Optional<String> removeAbandoned(Connection fenced, String region, String key) throws SQLException {
		String clientId;
		Instant since;
		try (PreparedStatement statement = fenced.prepareStatement(
				"SELECT CLIENT_ID, CREATED_DATE FROM " + this.tableName + " WHERE REGION = ? AND LOCK_KEY = ?")) {
			statement.setString(1, region);
			statement.setString(2, lockKey(key));
			try (ResultSet result = statement.executeQuery()) {
				if (!result.next()) {
					return Optional.empty();
				}
				clientId = result.getString(1);
				since = UtcTimes.read(result, 2);
			}
		}
		// the fence keeps every other writer out between the two statements
		try (PreparedStatement statement = fenced
			.prepareStatement("DELETE FROM " + this.tableName + " WHERE REGION = ? AND LOCK_KEY = ?")) {
			statement.setString(1, region);
			statement.setString(2, lockKey(key));
			statement.executeUpdate();
		}
		logger.warn("Took over the schema migration lock from instance " + clientId + " (held since " + since
				+ "): its database session has ended");
		return Optional.ofNullable(clientId);
	}

}
