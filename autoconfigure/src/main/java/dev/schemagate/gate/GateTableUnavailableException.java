package dev.schemagate.gate;

/**
 * Thrown when the lock table does not exist and cannot be created, typically because the
 * migration user may not create tables.
 */
public class LockTableUnavailableException extends IllegalStateException {

	private final String tableName;

	private final String ddl;

	LockTableUnavailableException(String tableName, String ddl, Throwable cause) {
		super("The lock table " + tableName + " does not exist and could not be created (" + cause.getMessage()
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
