package dev.schemagate.autoconfigure;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.jdbc.DatabaseDriver;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/**
 * Sessions of a migration data source's database outside its pool, for a database that does
 * not tell when a session began: the fleet registry marks on one, before the pool opens its
 * own, the sessions this instance begins.
 */
final class UnpooledSessions {

	private UnpooledSessions() {
	}

	/**
	 * Returns a data source of unpooled sessions with the same URL and credentials, where
	 * the database needs one.
	 * @param dataSource the migration data source
	 * @return the unpooled sessions, or {@code null} for a database that tells when each
	 * session began or a data source whose URL cannot be read
	 */
	static @Nullable DataSource of(DataSource dataSource) {
		SimpleDriverDataSource unpooled = DataSourceUrl.unpooled(dataSource);
		if (unpooled == null) {
			return null;
		}
		DatabaseDriver driver = DatabaseDriver.fromJdbcUrl(unpooled.getUrl());
		return (driver == DatabaseDriver.MARIADB || driver == DatabaseDriver.MYSQL) ? unpooled : null;
	}

}
