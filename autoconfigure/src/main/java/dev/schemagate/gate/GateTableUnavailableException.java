package dev.schemagate.gate;

/**
 * Thrown when a table of the gate (the lock table, the leader table, the migration history)
 * does not exist and cannot be created, typically because the migration user may not create
 * tables.
 */
public class GateTableUnavailableException extends IllegalStateException {

	private final String tableName;

	private final String ddl;

	GateTableUnavailableException(String tableName, String ddl, Throwable cause) {
		super("The table " + tableName + " does not exist and could not be created (" + cause.getMessage()
				+ "). Create it as a user that may, with: " + ddl, cause);
		this.tableName = tableName;
		this.ddl = ddl;
	}

	/**
	 * Returns the name of the missing table.
	 * @return the table name
	 */
	public String getTableName() {
		return this.tableName;
	}

	/**
	 * Returns the statement that creates the table.
	 * @return the DDL
	 */
	public String getDdl() {
		return this.ddl;
	}

}
