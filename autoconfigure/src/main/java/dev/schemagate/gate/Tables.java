package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Creates the gate's tables on first use, and tells whether a table exists.
 */
public final class Tables {

	private static final Log logger = LogFactory.getLog(Tables.class);

	private static final String UNIQUE_VIOLATION = "23505";

	private static final String DUPLICATE_TABLE = "42P07";

	private Tables() {
	}

	/**
	 * Creates a table of the gate unless it exists. Only the fence holder calls this, so
	 * instances starting at once on an empty database do not race to create it.
	 * @param fenced the fenced session
	 * @param tableName the table
	 * @param ddl the statement that creates it
	 * @throws GateTableUnavailableException if it is missing and cannot be created
	 */
	static void ensureExists(Connection fenced, String tableName, String ddl) {
		try {
			if (exists(fenced, tableName)) {
				return;
			}
			try (Statement statement = fenced.createStatement()) {
				statement.execute(ddl);
				logger.info("Created the table " + tableName);
			}
		}
		catch (SQLException ex) {
			// CREATE TABLE IF NOT EXISTS is not atomic in PostgreSQL: a concurrent creator
			// outside schemagate makes it fail this way
			if (UNIQUE_VIOLATION.equals(ex.getSQLState()) || DUPLICATE_TABLE.equals(ex.getSQLState())) {
				return;
			}
			if (ConnectionLoss.causedBy(ex)) {
				throw new IllegalStateException("Lost the database connection while checking " + tableName, ex);
			}
			throw new GateTableUnavailableException(tableName, ddl, ex);
		}
	}

	/**
	 * Adds a column that a table created by an earlier version lacks; a database user
	 * without the right to alter the table leaves it as it is.
	 * @param connection the session
	 * @param tableName the table
	 * @param column the column
	 * @param type its type
	 * @return whether the table has the column now
	 */
	static boolean ensureColumn(Connection connection, String tableName, String column, String type) {
		try {
			try (PreparedStatement statement = connection.prepareStatement("SELECT 1 FROM pg_attribute "
					+ "WHERE attrelid = to_regclass(?) AND attname = lower(?) AND NOT attisdropped")) {
				statement.setString(1, tableName);
				statement.setString(2, column);
				try (ResultSet result = statement.executeQuery()) {
					if (result.next()) {
						return true;
					}
				}
			}
			try (Statement statement = connection.createStatement()) {
				statement.execute("ALTER TABLE " + tableName + " ADD COLUMN IF NOT EXISTS " + column + " " + type);
				logger.info("Added the column " + column + " to " + tableName);
				return true;
			}
		}
		catch (SQLException ex) {
			logger.warn("Could not add the column " + column + " to " + tableName + ", which an earlier version of "
					+ "schemagate created: " + ex.getMessage());
			return false;
		}
	}

	/**
	 * Whether a table exists, on any session.
	 * @param connection the session
	 * @param tableName the table, optionally qualified by its schema
	 * @return whether it exists
	 * @throws SQLException if the database fails
	 */
	public static boolean exists(Connection connection, String tableName) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
			statement.setString(1, tableName);
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getBoolean(1);
			}
		}
	}

}
