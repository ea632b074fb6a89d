package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import dev.schemagate.database.GateDatabase;
import dev.schemagate.database.GateDatabase.GateTable;
import dev.schemagate.database.GateDatabases;
import dev.schemagate.database.UnsupportedDatabaseException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Creates the gate's tables on first use, and tells whether a table exists.
 */
public final class Tables {

	private static final Log logger = LogFactory.getLog(Tables.class);

	private Tables() {
	}

	/**
	 * Creates a table of the gate unless it exists. Only the fence holder calls this, so
	 * instances starting at once on an empty database do not race to create it.
	 * @param database the database the gate speaks to
	 * @param fenced the fenced session
	 * @param table which table
	 * @param tableName its name
	 * @throws GateTableUnavailableException if it is missing and cannot be created
	 */
	public static void ensureExists(GateDatabase database, Connection fenced, GateTable table, String tableName) {
		String ddl = database.createTable(table, tableName);
		try {
			if (database.tableExists(fenced, tableName)) {
				return;
			}
			try (Statement statement = fenced.createStatement()) {
				statement.execute(ddl);
				logger.info("Created the table " + tableName);
			}
		}
		catch (SQLException ex) {
			if (database.createdConcurrently(ex)) {
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
	 * @param database the database the gate speaks to
	 * @param connection the session
	 * @param table which table
	 * @param tableName its name
	 * @param column the column
	 * @return whether the table has the column now
	 */
	public static boolean ensureColumn(GateDatabase database, Connection connection, GateTable table, String tableName,
			String column) {
		try {
			if (database.hasColumn(connection, tableName, column)) {
				return true;
			}
			try (Statement statement = connection.createStatement()) {
				statement.execute(database.addColumn(table, tableName, column));
				logger.info("Added the column " + column + " to " + tableName);
				return true;
			}
		}
		catch (SQLException ex) {
			if (database.createdConcurrently(ex)) {
				// another instance added it meanwhile, where the database cannot add it if missing
				return true;
			}
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
	 * @throws UnsupportedDatabaseException if the gate does not speak to the database
	 */
	public static boolean exists(Connection connection, String tableName) throws SQLException {
		return GateDatabases.of(connection).tableExists(connection, tableName);
	}

}
