package dev.schemagate.liquibase;

import java.lang.reflect.Method;
import java.sql.Connection;

import liquibase.database.Database;
import liquibase.integration.spring.SpringLiquibase;
import liquibase.resource.ResourceAccessor;

import org.springframework.util.ReflectionUtils;

/**
 * The Liquibase {@link Database} of a {@link SpringLiquibase} bean on a given session, as
 * the bean creates it: with its default and Liquibase schemas, tablespace and changelog
 * table names.
 */
final class LiquibaseDatabase {

	private LiquibaseDatabase() {
	}

	static Database create(SpringLiquibase liquibase, Connection connection, ResourceAccessor resourceAccessor)
			throws Exception {
		Method createDatabase = ReflectionUtils.findMethod(SpringLiquibase.class, "createDatabase", Connection.class,
				ResourceAccessor.class);
		if (createDatabase == null) {
			throw new IllegalStateException("This version of Liquibase's SpringLiquibase cannot be read: it has no "
					+ "createDatabase(Connection, ResourceAccessor)");
		}
		ReflectionUtils.makeAccessible(createDatabase);
		return (Database) createDatabase.invoke(liquibase, connection, resourceAccessor);
	}

}
