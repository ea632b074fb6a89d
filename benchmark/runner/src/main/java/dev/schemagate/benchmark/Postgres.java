package dev.schemagate.benchmark;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.schemagate.embedded.EmbeddedPostgresServer;

/**
 * The PostgreSQL server the benchmark runs on: a fresh database per measurement, and the
 * queries that read what the apps did to it.
 */
final class Postgres {

	private static final AtomicInteger databases = new AtomicInteger();

	private final String adminUrl;

	private final String username;

	private final String password;

	private final List<String> created = new ArrayList<>();

	Postgres(String adminUrl, String username, String password) {
		this.adminUrl = adminUrl;
		this.username = username;
		this.password = password;
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

	private static String env(String name, String fallback) {
		String value = System.getenv(name);
		return (value != null && !value.isBlank()) ? value : fallback;
	}

	String serverVersion() throws SQLException {
		try (Connection connection = DriverManager.getConnection(this.adminUrl, this.username, this.password);
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SHOW server_version")) {
			result.next();
			return "PostgreSQL " + result.getString(1);
		}
	}

	String username() {
		return this.username;
	}

	String password() {
		return this.password;
	}

	/**
	 * Creates an empty database.
	 * @return its JDBC URL
	 */
	String createDatabase() throws SQLException {
		String name = "sg_bench_" + ProcessHandle.current().pid() + "_" + databases.incrementAndGet();
		try (Connection connection = DriverManager.getConnection(this.adminUrl, this.username, this.password);
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE DATABASE " + name);
		}
		this.created.add(name);
		return urlOf(name);
	}

	private String urlOf(String database) {
		int slash = this.adminUrl.lastIndexOf('/');
		int query = this.adminUrl.indexOf('?', slash);
		return this.adminUrl.substring(0, slash + 1) + database + ((query >= 0) ? this.adminUrl.substring(query) : "");
	}

	Connection connect(String url) throws SQLException {
		return DriverManager.getConnection(url, this.username, this.password);
	}

	/**
	 * Runs a query of one number, null when it finds no row or a null.
	 */
	Double number(String url, String sql, Object... parameters) throws SQLException {
		try (Connection connection = connect(url); PreparedStatement statement = connection.prepareStatement(sql)) {
			for (int i = 0; i < parameters.length; i++) {
				statement.setObject(i + 1, parameters[i]);
			}
			try (ResultSet result = statement.executeQuery()) {
				if (!result.next()) {
					return null;
				}
				double value = result.getDouble(1);
				return result.wasNull() ? null : value;
			}
		}
	}

	/**
	 * When the sample's last changeset committed, in epoch milliseconds: its row's time is
	 * the start of its one-statement transaction.
	 */
	Long lastChangesetCommit(String url) throws SQLException {
		Double millis = number(url, "SELECT extract(epoch FROM applied_at) * 1000 FROM migration_audit "
				+ "WHERE note = 'after-index' ORDER BY applied_at LIMIT 1");
		return (millis != null) ? Math.round(millis) : null;
	}

	/**
	 * The rows the sample's non-idempotent changesets inserted, three when each ran once.
	 */
	long auditRows(String url) throws SQLException {
		Double rows = number(url, "SELECT count(*) FROM migration_audit");
		return (rows != null) ? rows.longValue() : 0;
	}

	void dropAll() {
		try (Connection connection = DriverManager.getConnection(this.adminUrl, this.username, this.password);
				Statement statement = connection.createStatement()) {
			for (String name : this.created) {
				statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
			}
		}
		catch (SQLException ex) {
			System.err.println("Could not drop the benchmark's databases: " + ex.getMessage());
		}
	}

}
