package dev.schemagate.benchmark;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The database server the benchmark runs on: a fresh database per measurement, the queries
 * that read what the apps did to it, and what each app is told to run there.
 */
abstract sealed class BenchmarkDatabase permits Postgres, MariaDb {

	private static final AtomicInteger databases = new AtomicInteger();

	private final String adminUrl;

	private final String username;

	private final String password;

	private final List<String> created = new ArrayList<>();

	BenchmarkDatabase(String adminUrl, String username, String password) {
		this.adminUrl = adminUrl;
		this.username = username;
		this.password = password;
	}

	static String env(String name, String fallback) {
		String value = System.getenv(name);
		return (value != null && !value.isBlank()) ? value : fallback;
	}

	/**
	 * Returns the server's product and version.
	 */
	abstract String serverVersion() throws SQLException;

	/**
	 * Returns the application properties that point an app at its migrations for this
	 * database.
	 */
	abstract Map<String, String> appProperties(App app);

	/**
	 * When the sample's last changeset committed, in epoch milliseconds: its row's time is
	 * the start of its one-statement transaction.
	 */
	abstract Long lastChangesetCommit(String url) throws SQLException;

	/**
	 * Returns the session running the sample's slow changeset, other than the one given:
	 * {id, client port}, or null when none does.
	 */
	abstract long[] slowChangesetSession(String url, long otherThan) throws SQLException;

	/**
	 * Returns the statement that drops a database the run created.
	 */
	abstract String dropDatabase(String name);

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
		return createDatabase("");
	}

	/**
	 * Creates a database.
	 * @param clause what follows {@code CREATE DATABASE name}, such as a template
	 * @return its JDBC URL
	 */
	String createDatabase(String clause) throws SQLException {
		String name = "sg_bench_" + ProcessHandle.current().pid() + "_" + databases.incrementAndGet();
		try (Connection connection = connectAdmin(); Statement statement = connection.createStatement()) {
			statement.execute("CREATE DATABASE " + name + clause);
		}
		this.created.add(name);
		return urlOf(name);
	}

	/**
	 * Returns the name of the database a URL of this server points at.
	 */
	static String nameOf(String url) {
		int slash = url.lastIndexOf('/');
		int query = url.indexOf('?', slash);
		return url.substring(slash + 1, (query >= 0) ? query : url.length());
	}

	private String urlOf(String database) {
		int slash = this.adminUrl.lastIndexOf('/');
		int query = this.adminUrl.indexOf('?', slash);
		return this.adminUrl.substring(0, slash + 1) + database + ((query >= 0) ? this.adminUrl.substring(query) : "");
	}

	Connection connectAdmin() throws SQLException {
		return DriverManager.getConnection(this.adminUrl, this.username, this.password);
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
	 * Returns the first row of a query as {id, port}, null when it finds none.
	 */
	long[] session(String url, String sql, long otherThan) throws SQLException {
		try (Connection connection = connect(url); PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setLong(1, otherThan);
			try (ResultSet result = statement.executeQuery()) {
				return result.next() ? new long[] { result.getLong(1), result.getLong(2) } : null;
			}
		}
	}

	/**
	 * The rows the sample's non-idempotent changesets inserted, three when each ran once.
	 */
	long auditRows(String url) throws SQLException {
		Double rows = number(url, "SELECT count(*) FROM migration_audit");
		return (rows != null) ? rows.longValue() : 0;
	}

	void dropAll() {
		try (Connection connection = connectAdmin(); Statement statement = connection.createStatement()) {
			for (String name : this.created) {
				statement.execute(dropDatabase(name));
			}
		}
		catch (SQLException ex) {
			System.err.println("Could not drop the benchmark's databases: " + ex.getMessage());
		}
	}

}
