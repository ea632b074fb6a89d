package dev.schemagate.benchmark;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import dev.schemagate.embedded.EmbeddedPostgresServer;

/**
 * The PostgreSQL server the benchmark runs on.
 */
final class Postgres extends BenchmarkDatabase {

	Postgres(String adminUrl, String username, String password) {
		super(adminUrl, username, password);
	}

	/**
	 * Returns the server named by {@code SCHEMAGATE_TEST_JDBC_URL}, as for the tests, or
	 * none when it is not set.
	 */
	static Postgres configured() {
		String url = System.getenv("SCHEMAGATE_TEST_JDBC_URL");
		if (url == null || url.isBlank()) {
			return null;
		}
		return new Postgres(url, env("SCHEMAGATE_TEST_USERNAME", "schemagate"),
				env("SCHEMAGATE_TEST_PASSWORD", "schemagate"));
	}

	/**
	 * Returns a server started for the run: PostgreSQL from the binaries in a jar, as the
	 * tests use on a machine without a server.
	 */
	static Postgres embedded(EmbeddedPostgresServer server) {
		return new Postgres(server.jdbcUrl("postgres"), EmbeddedPostgresServer.USERNAME,
				EmbeddedPostgresServer.PASSWORD);
	}

	@Override
	String serverVersion() throws SQLException {
		try (Connection connection = connectAdmin();
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SHOW server_version")) {
			result.next();
			return "PostgreSQL " + result.getString(1);
		}
	}

	// the apps' own migrations are PostgreSQL's
	@Override
	Map<String, String> appProperties(App app) {
		return Map.of();
	}

	@Override
	Long lastChangesetCommit(String url) throws SQLException {
		Double millis = number(url, "SELECT extract(epoch FROM applied_at) * 1000 FROM migration_audit "
				+ "WHERE note = 'after-index' ORDER BY applied_at LIMIT 1");
		return (millis != null) ? Math.round(millis) : null;
	}

	@Override
	long[] slowChangesetSession(String url, long otherThan) throws SQLException {
		return session(url, "SELECT pid, client_port FROM pg_stat_activity WHERE datname = current_database() "
				+ "AND state = 'active' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid() AND pid <> ?", otherThan);
	}

	/**
	 * Copies a database no session is connected to.
	 * @param url the database to copy
	 * @return the copy's URL
	 */
	String copyDatabase(String url) throws SQLException {
		return createDatabase(" TEMPLATE " + nameOf(url));
	}

	/**
	 * When Liquibase recorded the last changeset it ran, in epoch milliseconds: the
	 * database's time, as Liquibase writes it.
	 */
	Long lastChangesetExecuted(String url) throws SQLException {
		Double millis = number(url, "SELECT extract(epoch FROM max(dateexecuted)) * 1000 FROM databasechangelog");
		return (millis != null) ? Math.round(millis) : null;
	}

	/**
	 * The rows the big changelog's inserting changesets left.
	 */
	long bigAuditRows(String url) throws SQLException {
		Double rows = number(url, "SELECT count(*) FROM big_audit");
		return (rows != null) ? rows.longValue() : 0;
	}

	@Override
	String dropDatabase(String name) {
		return "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)";
	}

}
