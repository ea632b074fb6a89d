package dev.schemagate.gate;

import java.util.ArrayList;
import java.util.List;

/**
 * Thrown when tables of the gate (the lock table, the leader table, the migration history)
 * do not exist and cannot be created, typically because the migration user may not create
 * tables. It names every such table, so that one start tells all there is to create.
 */
public class GateTableUnavailableException extends IllegalStateException {

	private final List<String> tableNames;

	private final List<String> ddl;

	private final Throwable databaseFailure;

	GateTableUnavailableException(String tableName, String ddl, Throwable cause) {
		this(List.of(tableName), List.of(ddl), cause);
	}

	private GateTableUnavailableException(List<String> tableNames, List<String> ddl, Throwable cause) {
		super(((tableNames.size() == 1) ? "The table " + tableNames.get(0) + " does not exist and could not be created"
				: "The tables " + String.join(", ", tableNames) + " do not exist and could not be created")
				+ " (" + cause.getMessage() + "); their DDL: " + String.join("; ", ddl), cause);
		this.tableNames = tableNames;
		this.ddl = ddl;
		this.databaseFailure = cause;
	}

	/**
	 * Returns an exception naming the tables of both.
	 * @param other another missing table
	 * @return the combined exception
	 */
	GateTableUnavailableException and(GateTableUnavailableException other) {
		List<String> tableNames = new ArrayList<>(this.tableNames);
		tableNames.addAll(other.tableNames);
		List<String> ddl = new ArrayList<>(this.ddl);
		ddl.addAll(other.ddl);
		return new GateTableUnavailableException(List.copyOf(tableNames), List.copyOf(ddl), this.databaseFailure);
	}

	/**
	 * Returns the names of the missing tables.
	 * @return the table names
	 */
	public List<String> getTableNames() {
		return this.tableNames;
	}

	/**
	 * Returns the statements that create the missing tables.
	 * @return the DDL, one statement per table
	 */
	public List<String> getDdl() {
		return this.ddl;
	}

	/**
	 * Returns why the database did not create the tables.
	 * @return the database's failure, typically a missing privilege
	 */
	public Throwable getDatabaseFailure() {
		return this.databaseFailure;
	}

}
