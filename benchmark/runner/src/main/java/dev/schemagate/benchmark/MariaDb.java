package dev.schemagate.benchmark;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import dev.schemagate.embedded.mariadb.EmbeddedMariaDbServer;

/**
 * The MariaDB server the benchmark runs on, each app on its MariaDB migrations.
 */
final class MariaDb extends BenchmarkDatabase {

	MariaDb(String adminUrl, String username, String password) {
		super(adminUrl, username, password);
	}

	/**
	 * Returns the server named by {@code SCHEMAGATE_TEST_MARIADB_URL}, as for the tests, or
	 * none when it is not set.
	 */
	static MariaDb configured() {
		String url = System.getenv("SCHEMAGATE_TEST_MARIADB_URL");
		if (url == null || url.isBlank()) {
			return null;
		}
		return new MariaDb(url.endsWith("/") ? url : url + "/", env("SCHEMAGATE_TEST_MARIADB_USERNAME", "root"),
				env("SCHEMAGATE_TEST_MARIADB_PASSWORD", ""));
	}

	/**
	 * Returns a server started for the run: MariaDB from the binaries in a jar, as the tests
	 * use on a machine without a server.
	 */
	static MariaDb embedded(EmbeddedMariaDbServer server) {
		return new MariaDb(server.jdbcUrl(""), EmbeddedMariaDbServer.USERNAME, EmbeddedMariaDbServer.PASSWORD);
	}

	@Override
	String serverVersion() throws SQLException {
		try (Connection connection = connectAdmin();
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT VERSION()")) {
			result.next();
			return "MariaDB " + result.getString(1);
		}
	}

	@Override
	Map<String, String> appProperties(App app) {
		return App.FLYWAY.equals(app.name()) ? Map.of("spring.flyway.locations", "classpath:db/migration-mariadb")
				: Map.of("spring.liquibase.change-log", "classpath:db/changelog/mariadb/db.changelog-master.xml");
	}

	// the audit table's times are the server's, in its time zone, which UNIX_TIMESTAMP reads
	@Override
	Long lastChangesetCommit(String url) throws SQLException {
		Double millis = number(url, "SELECT UNIX_TIMESTAMP(applied_at) * 1000 FROM migration_audit "
				+ "WHERE note = 'after-index' ORDER BY applied_at LIMIT 1");
		return (millis != null) ? Math.round(millis) : null;
	}

	// the client's address is host:port
	@Override
	long[] slowChangesetSession(String url, long otherThan) throws SQLException {
		return session(url, "SELECT ID, SUBSTRING_INDEX(HOST, ':', -1) FROM information_schema.PROCESSLIST "
				+ "WHERE DB = DATABASE() AND INFO LIKE 'SELECT SLEEP%' AND ID <> CONNECTION_ID() AND ID <> ?", otherThan);
	}

	@Override
	String dropDatabase(String name) {
		return "DROP DATABASE IF EXISTS " + name;
	}

}
