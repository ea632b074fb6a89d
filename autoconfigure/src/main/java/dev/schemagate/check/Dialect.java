package dev.schemagate.check;

import liquibase.database.Database;
import liquibase.database.core.MySQLDatabase;

/**
 * The database a changeset check is for: which changes are unsafe depends on how it locks
 * and whether its DDL is transactional.
 */
public enum Dialect {

	/**
	 * PostgreSQL: DDL commits with the changeset's transaction, and each statement's lock is
	 * held until then.
	 */
	POSTGRESQL,

	/**
	 * MySQL and MariaDB: every DDL statement commits by itself, so a changeset stopped
	 * half-way leaves part of it applied without its {@code DATABASECHANGELOG} row.
	 */
	MYSQL;

	/**
	 * Returns the dialect of a Liquibase database.
	 * @param database the database
	 * @return {@link #MYSQL} for MySQL and MariaDB, else {@link #POSTGRESQL}
	 */
	public static Dialect of(Database database) {
		return (database instanceof MySQLDatabase) ? MYSQL : POSTGRESQL;
	}

}
