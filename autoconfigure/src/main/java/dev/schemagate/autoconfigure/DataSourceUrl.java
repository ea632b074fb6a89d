package dev.schemagate.autoconfigure;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/**
 * The JDBC URL a data source connects to, read from its configuration without opening a
 * session: asking before the pool opens its first session keeps that session out of what
 * schemagate tells apart as begun before or after its start.
 */
final class DataSourceUrl {

	private DataSourceUrl() {
	}

	/**
	 * Returns a data source of unpooled sessions with the same URL and credentials.
	 * @param dataSource the data source
	 * @return the unpooled sessions, or {@code null} for a data source whose URL cannot be
	 * read from its configuration
	 */
	static @Nullable SimpleDriverDataSource unpooled(DataSource dataSource) {
		try {
			SimpleDriverDataSource unpooled = DataSourceBuilder.derivedFrom(dataSource)
				.type(SimpleDriverDataSource.class)
				.build();
			return (unpooled.getUrl() != null) ? unpooled : null;
		}
		catch (RuntimeException ex) {
			return null;
		}
	}

	/**
	 * Returns the URL of a data source.
	 * @param dataSource the data source
	 * @return its URL, or {@code null} where its configuration does not tell
	 */
	static @Nullable String of(DataSource dataSource) {
		SimpleDriverDataSource unpooled = unpooled(dataSource);
		return (unpooled != null) ? unpooled.getUrl() : null;
	}

}
