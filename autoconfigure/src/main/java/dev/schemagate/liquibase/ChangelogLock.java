package dev.schemagate.liquibase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import liquibase.integration.spring.SpringLiquibase;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Liquibase's own lock row ({@code DATABASECHANGELOGLOCK}). Under the gate no two
 * instances run Liquibase at once, so a row still marked locked was left by a process that
 * died while migrating: the leader clears it rather than wait for Liquibase's five minutes.
 */
final class ChangelogLock {

	private static final Log logger = LogFactory.getLog(ChangelogLock.class);

	private static final String UNDEFINED_TABLE = "42P01";

	private static final String UNDEFINED_SCHEMA = "3F000";

	private ChangelogLock() {
	}

	/**
	 * Clears a lock left by a dead process. Only the holder of the gate's fence may call
	 * this.
	 * @param fenced the fenced session
	 * @param liquibase the Liquibase bean, for the table's name and schema
	 * @throws SQLException if the database fails
	 */
	static void clearAbandoned(Connection fenced, SpringLiquibase liquibase) throws SQLException {
		String table = tableName(liquibase);
		boolean autoCommit = fenced.getAutoCommit();
		fenced.setAutoCommit(false);
		try (Statement savepointScope = fenced.createStatement()) {
			String lockedBy = null;
			Object lockGranted = null;
			try (PreparedStatement select = fenced.prepareStatement(
					"SELECT LOCKEDBY, LOCKGRANTED FROM " + table + " WHERE ID = 1 AND LOCKED FOR UPDATE");
					ResultSet result = select.executeQuery()) {
				if (!result.next()) {
					fenced.commit();
					return;
				}
				lockedBy = result.getString(1);
				lockGranted = result.getObject(2);
			}
			savepointScope.executeUpdate(
					"UPDATE " + table + " SET LOCKED = FALSE, LOCKGRANTED = NULL, LOCKEDBY = NULL WHERE ID = 1");
			fenced.commit();
			logger.warn("Released Liquibase's lock in " + table + ", left by " + lockedBy + " since " + lockGranted
					+ ": that process is no longer migrating");
		}
		catch (SQLException ex) {
			fenced.rollback();
			if (!UNDEFINED_TABLE.equals(ex.getSQLState()) && !UNDEFINED_SCHEMA.equals(ex.getSQLState())) {
				throw ex;
			}
			// a database Liquibase has never run on: nothing to clear
		}
		finally {
			fenced.setAutoCommit(autoCommit);
		}
	}

	static String tableName(SpringLiquibase liquibase) {
		String table = (liquibase.getDatabaseChangeLogLockTable() != null) ? liquibase.getDatabaseChangeLogLockTable()
				: "DATABASECHANGELOGLOCK";
		String schema = (liquibase.getLiquibaseSchema() != null) ? liquibase.getLiquibaseSchema()
				: liquibase.getDefaultSchema();
		return (schema != null) ? schema + "." + table : table;
	}

}
