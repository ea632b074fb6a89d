package dev.schemagate.test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import dev.schemagate.embedded.mariadb.EmbeddedMariaDbServer;

/**
 * The real MariaDB the tests run against: a server named by
 * {@code SCHEMAGATE_TEST_MARIADB_URL} (a URL of MariaDB's driver without a database, with
 * {@code SCHEMAGATE_TEST_MARIADB_USERNAME} and {@code SCHEMAGATE_TEST_MARIADB_PASSWORD}),
 * else an embedded server started from the MariaDB binaries in a jar. With
 * {@code SCHEMAGATE_TEST_MARIADB_DRIVER=mysql} the tests connect through MySQL Connector/J,
 * which reports the server as MySQL. The databases a test JVM creates are dropped when it
 * exits.
 */
public final class TestMariaDb {

	private static final AtomicInteger databases = new AtomicInteger();

	private static TestMariaDb instance;

	private final String serverUrl;

	private final String username;

	private final String password;

	private final EmbeddedMariaDbServer embedded;

	private final Set<String> created = ConcurrentHashMap.newKeySet();

	private TestMariaDb(String serverUrl, String username, String password, EmbeddedMariaDbServer embedded) {
		String url = serverUrl.endsWith("/") ? serverUrl : serverUrl + "/";
		// MySQL's driver against the same server, as an application on MySQL's driver connects
		this.serverUrl = "mysql".equals(System.getenv("SCHEMAGATE_TEST_MARIADB_DRIVER"))
				? url.replaceFirst("^jdbc:mariadb:", "jdbc:mysql:") : url;
		this.username = username;
		this.password = password;
		this.embedded = embedded;
	}

	/**
	 * Returns the test server, starting an embedded one on first use when none is
	 * configured.
	 * @return the test server
	 */
	public static synchronized TestMariaDb get() {
		if (instance == null) {
			String url = System.getenv("SCHEMAGATE_TEST_MARIADB_URL");
			if (url != null && !url.isBlank()) {
				instance = new TestMariaDb(url, env("SCHEMAGATE_TEST_MARIADB_USERNAME", "root"),
						env("SCHEMAGATE_TEST_MARIADB_PASSWORD", ""), null);
			}
			else {
				// on every address, for a client in a network namespace of a test's own; the
				// server admits only local clients until a test lets others in
				EmbeddedMariaDbServer server = EmbeddedMariaDbServer.builder().setting("bind-address", "0.0.0.0").start();
				instance = new TestMariaDb(server.jdbcUrl(""), EmbeddedMariaDbServer.USERNAME,
						EmbeddedMariaDbServer.PASSWORD, server);
			}
			Runtime.getRuntime().addShutdownHook(new Thread(instance::dropCreatedDatabases, "drop-test-databases"));
			System.err.println("Tests run against MariaDB at " + instance.serverUrl);
		}
		return instance;
	}

	private static String env(String name, String fallback) {
		String value = System.getenv(name);
		return (value != null) ? value : fallback;
	}

	/**
	 * Creates an empty database.
	 * @return its JDBC URL
	 */
	public String createDatabase() {
		String name = "schemagate_test_" + ProcessHandle.current().pid() + "_" + databases.incrementAndGet();
		try (Connection connection = DriverManager.getConnection(this.serverUrl, this.username, this.password);
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE DATABASE " + name);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not create database " + name + ": " + ex.getMessage(), ex);
		}
		this.created.add(name);
		return this.serverUrl + name;
	}

	/**
	 * Opens a session of its own.
	 * @param url a database's URL
	 * @return the session
	 * @throws SQLException if the database fails
	 */
	public Connection connect(String url) throws SQLException {
		return DriverManager.getConnection(url, this.username, this.password);
	}

	/**
	 * Returns the properties that point an application's data source and Liquibase at a
	 * database of this server.
	 * @param url the database's URL
	 * @return the properties
	 */
	public String[] applicationProperties(String url) {
		return new String[] { "spring.datasource.url=" + url, "spring.datasource.username=" + this.username,
				"spring.datasource.password=" + this.password, "spring.datasource.hikari.maximum-pool-size=3",
				"spring.liquibase.change-log=classpath:db/test/mariadb/changelog.xml",
				// Liquibase otherwise fetches its analytics settings from the internet
				"spring.liquibase.analytics-enabled=false" };
	}

	/**
	 * Returns a pool of a database's sessions.
	 * @param url the database's URL
	 * @param size the most sessions at once
	 * @return the pool
	 */
	public HikariDataSource pool(String url, int size) {
		HikariDataSource dataSource = new HikariDataSource();
		dataSource.setJdbcUrl(url);
		dataSource.setUsername(this.username);
		dataSource.setPassword(this.password);
		dataSource.setMaximumPoolSize(size);
		dataSource.setConnectionTimeout(10_000);
		return dataSource;
	}

	/**
	 * Runs a query that returns one number.
	 * @param url the database's URL
	 * @param sql the query
	 * @return the number
	 * @throws SQLException if the database fails
	 */
	public long queryLong(String url, String sql) throws SQLException {
		try (Connection connection = connect(url);
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery(sql)) {
			result.next();
			return result.getLong(1);
		}
	}

	/**
	 * Runs statements in a database.
	 * @param url the database's URL
	 * @param statements the statements
	 * @throws SQLException if the database fails
	 */
	public void executeIn(String url, String... statements) throws SQLException {
		try (Connection connection = connect(url); Statement statement = connection.createStatement()) {
			for (String sql : statements) {
				statement.execute(sql);
			}
		}
	}

	/**
	 * Runs a query that returns one text or none.
	 * @param url the database's URL
	 * @param sql the query
	 * @return the text, {@code null} when no row or a null value comes back
	 * @throws SQLException if the database fails
	 */
	public String queryString(String url, String sql) throws SQLException {
		try (Connection connection = connect(url);
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery(sql)) {
			return result.next() ? result.getString(1) : null;
		}
	}

	/**
	 * Returns the user the tests connect as.
	 * @return the user
	 */
	public String username() {
		return this.username;
	}

	/**
	 * Returns the password of the user the tests connect as.
	 * @return the password
	 */
	public String password() {
		return this.password;
	}

	/**
	 * Lets clients of the given network in: the embedded server; a configured one must
	 * admit them itself.
	 * @param cidr the network, such as {@code 169.254.77.0/30}
	 */
	public void allowClients(String cidr) {
		if (this.embedded != null) {
			this.embedded.allowClients(cidr);
		}
	}

	/**
	 * Restarts the server, cutting every session, and waits until it accepts connections
	 * again: the embedded server, or a configured one by the command in
	 * {@code SCHEMAGATE_TEST_MARIADB_RESTART_COMMAND}.
	 */
	public void restart() {
		if (this.embedded != null) {
			this.embedded.restart();
			return;
		}
		String command = System.getenv("SCHEMAGATE_TEST_MARIADB_RESTART_COMMAND");
		if (command == null || command.isBlank()) {
			throw new IllegalStateException("Set SCHEMAGATE_TEST_MARIADB_RESTART_COMMAND to a command that restarts "
					+ "the MariaDB server named by SCHEMAGATE_TEST_MARIADB_URL");
		}
		try {
			Process process = new ProcessBuilder("sh", "-c", command).inheritIO().start();
			if (process.waitFor() != 0) {
				throw new IllegalStateException("Restart command failed: " + command);
			}
			long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
			while (true) {
				try (Connection connection = DriverManager.getConnection(this.serverUrl, this.username,
						this.password)) {
					return;
				}
				catch (SQLException ex) {
					if (System.nanoTime() > deadline) {
						throw new IllegalStateException("MariaDB did not come back within 60s", ex);
					}
					Thread.sleep(200);
				}
			}
		}
		catch (java.io.IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Returns the server's URL, without a database.
	 * @return the URL
	 */
	public String serverUrl() {
		return this.serverUrl;
	}

	private void dropCreatedDatabases() {
		if (this.embedded != null) {
			// its data goes with it
			return;
		}
		try (Connection connection = DriverManager.getConnection(this.serverUrl, this.username, this.password);
				Statement statement = connection.createStatement()) {
			for (String name : this.created) {
				statement.execute("DROP DATABASE IF EXISTS " + name);
			}
		}
		catch (SQLException ex) {
			// the server is gone; nothing to drop
		}
	}

}
