package dev.schemagate.liquibase;

import java.sql.Connection;
import java.util.Locale;

import javax.sql.DataSource;

import dev.schemagate.gate.Migration;
import liquibase.integration.spring.SpringLiquibase;

/**
 * Runs a {@link SpringLiquibase} bean, with every setting Spring Boot gave it, on the
 * fenced session of the gate.
 */
public final class LiquibaseMigration implements Migration {

	private final SpringLiquibase liquibase;

	/**
	 * Creates the migration of one Liquibase bean.
	 * @param liquibase the bean
	 */
	public LiquibaseMigration(SpringLiquibase liquibase) {
		this.liquibase = liquibase;
	}

	/**
	 * Returns the data source Liquibase migrates, where the gate keeps its lock.
	 * @return the migration data source
	 */
	public DataSource dataSource() {
		return this.liquibase.getDataSource();
	}

	/**
	 * Returns the lock key for this bean when none is configured: the changelog table
	 * Liquibase records into, so that two applications sharing a database in different
	 * schemas do not wait for each other.
	 * @return the default lock key
	 */
	public String defaultLockKey() {
		String table = (this.liquibase.getDatabaseChangeLogTable() != null)
				? this.liquibase.getDatabaseChangeLogTable() : "DATABASECHANGELOG";
		String schema = (this.liquibase.getLiquibaseSchema() != null) ? this.liquibase.getLiquibaseSchema()
				: this.liquibase.getDefaultSchema();
		return ((schema != null) ? schema + "." + table : table).toLowerCase(Locale.ROOT);
	}

	@Override
	public void migrate(DataSource fenced) throws Exception {
		try (Connection connection = fenced.getConnection()) {
			ChangelogLock.clearAbandoned(connection, this.liquibase);
		}
		DataSource original = this.liquibase.getDataSource();
		this.liquibase.setDataSource(fenced);
		try {
			this.liquibase.afterPropertiesSet();
		}
		finally {
			this.liquibase.setDataSource(original);
		}
	}

}
