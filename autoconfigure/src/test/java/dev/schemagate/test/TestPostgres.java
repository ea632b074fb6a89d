package dev.schemagate.test;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.zaxxer.hikari.HikariDataSource;
import dev.schemagate.embedded.EmbeddedPostgresServer;
import dev.schemagate.embedded.ServerFiles;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The real PostgreSQL the tests run against, in this order: an externally started server
 * named by {@code SCHEMAGATE_TEST_JDBC_URL} (with {@code SCHEMAGATE_TEST_USERNAME},
 * {@code SCHEMAGATE_TEST_PASSWORD} and, for restart tests,
 * {@code SCHEMAGATE_TEST_RESTART_COMMAND}), a Testcontainers one where Docker runs, else
 * an embedded server started from the PostgreSQL binaries in a jar. The databases a test
 * JVM creates are dropped when it exits.
 */
public final class TestPostgres {

	private static final AtomicInteger databases = new AtomicInteger();

	private static TestPostgres instance;

	private final String serverUrl;

	private final String username;

	private final String password;

	private final List<String> restartCommand;

	private final PostgreSQLContainer container;

	private final EmbeddedPostgresServer embedded;

	private final Set<String> created = ConcurrentHashMap.newKeySet();

	private TestPostgres(String serverUrl, String username, String password, List<String> restartCommand,
			PostgreSQLContainer container, EmbeddedPostgresServer embedded) {
		this.serverUrl = serverUrl;
		this.username = username;
		this.password = password;
		this.restartCommand = restartCommand;
		this.container = container;
		this.embedded = embedded;
	}

	/**
	 * Returns the test server, starting a container or an embedded server on first use when
	 * no external server is configured.
	 * @return the test server
	 */
	public static synchronized TestPostgres get() {
		if (instance == null) {
			instance = create();
			Runtime.getRuntime().addShutdownHook(new Thread(instance::dropCreatedDatabases, "drop-test-databases"));
			System.err.println("Tests run against PostgreSQL at " + instance.serverUrl);
		}
		return instance;
	}

	private static TestPostgres create() {
		String url = System.getenv("SCHEMAGATE_TEST_JDBC_URL");
		if (url != null && !url.isBlank()) {
			String restart = System.getenv("SCHEMAGATE_TEST_RESTART_COMMAND");
			return new TestPostgres(url, env("SCHEMAGATE_TEST_USERNAME", "postgres"),
					env("SCHEMAGATE_TEST_PASSWORD", "postgres"),
					(restart != null && !restart.isBlank()) ? List.of("sh", "-c", restart) : null, null, null);
		}
		if (!DockerClientFactory.instance().isDockerAvailable()) {
			// listens on every address so that a test in a network namespace of its own reaches
			// it; clients other than local ones still need allowClients
			EmbeddedPostgresServer server = EmbeddedPostgresServer.builder()
				.setting("listen_addresses", "'*'")
				.start();
			return new TestPostgres(server.jdbcUrl("postgres"), EmbeddedPostgresServer.USERNAME,
					EmbeddedPostgresServer.PASSWORD, null, null, server);
		}
		int hostPort = ServerFiles.freePort();
		PostgreSQLContainer container = new PostgreSQLContainer("postgres:15-alpine").withCommand("postgres",
				"-c", "max_connections=300");
		// a fixed host port survives a container restart, so running apps can reconnect
		container.withCreateContainerCmdModifier((cmd) -> cmd.getHostConfig()
			.withPortBindings(new PortBinding(Ports.Binding.bindPort(hostPort), new ExposedPort(5432))));
		container.start();
		String serverUrl = "jdbc:postgresql://localhost:" + hostPort + "/" + container.getDatabaseName();
		return new TestPostgres(serverUrl, container.getUsername(), container.getPassword(), null, container, null);
	}

	private static String env(String name, String fallback) {
		String value = System.getenv(name);
		return (value != null) ? value : fallback;
	}

	public String username() {
		return this.username;
	}

	public String password() {
		return this.password;
	}

	/**
	 * Creates an empty database.
	 * @return its JDBC URL
	 */
	public String createDatabase() {
		String name = "sg_" + ProcessHandle.current().pid() + "_" + databases.incrementAndGet();
		execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "CREATE DATABASE " + name);
		this.created.add(name);
		return urlOf(name);
	}

	/**
	 * Lets clients of a network other than this host's in. An embedded server is widened
	 * here; a configured server must already allow them (see {@code .ci/run}).
	 * @param cidr the network, such as {@code 169.254.77.0/30}
	 */
	public void allowClients(String cidr) {
		if (this.embedded != null) {
			this.embedded.allowClients(cidr);
		}
	}

	private void dropCreatedDatabases() {
		if (this.embedded != null) {
			// its data goes with it
			return;
		}
		for (String name : this.created) {
			try {
				execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
			}
			catch (RuntimeException ex) {
				// the server is gone; nothing more to drop
				return;
			}
		}
	}

	/**
	 * Returns the JDBC URL of a database on this server.
	 * @param database the database name
	 * @return its URL
	 */
	public String urlOf(String database) {
		int slash = this.serverUrl.lastIndexOf('/');
		String rest = this.serverUrl.substring(slash + 1);
		int query = rest.indexOf('?');
		return this.serverUrl.substring(0, slash + 1) + database + ((query >= 0) ? rest.substring(query) : "");
	}

	/**
	 * Runs statements on the server's own database as the test user.
	 * @param statements the statements
	 */
	public void execute(String... statements) {
		try (Connection connection = DriverManager.getConnection(this.serverUrl, this.username, this.password);
				Statement statement = connection.createStatement()) {
			for (String sql : statements) {
				statement.execute(sql);
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Returns the properties of an application whose data source is the given database and
	 * whose Liquibase runs the tests' changelog.
	 * @param url the database URL
	 * @return the properties, as {@code name=value}
	 */
	public String[] applicationProperties(String url) {
		return new String[] { "spring.datasource.url=" + url, "spring.datasource.username=" + this.username,
				"spring.datasource.password=" + this.password, "spring.datasource.hikari.maximum-pool-size=3",
				"spring.liquibase.change-log=classpath:db/test/changelog.xml",
				// Liquibase otherwise fetches its analytics settings from the internet
				"spring.liquibase.analytics-enabled=false" };
	}

	/**
	 * Runs a query that returns one number, in a database of this server.
	 * @param url the database URL
	 * @param sql the query
	 * @return the number in the first column of the first row
	 * @throws SQLException if the database fails
	 */
	public long queryLong(String url, String sql) throws SQLException {
		try (Connection connection = connect(url);
				Statement statement = connection.createStatement();
				java.sql.ResultSet result = statement.executeQuery(sql)) {
			result.next();
			return result.getLong(1);
		}
	}

	/**
	 * Creates a role that may log in to a database and read and write the data of the
	 * tables created there from now on, with no right to create anything, as an
	 * application's own user in a least-privilege deploy. Drop it after the database.
	 * @param url the database URL
	 * @param role the role's name, its password {@code app}
	 * @throws SQLException if the database fails
	 */
	public void createDataOnlyRole(String url, String role) throws SQLException {
		String database = url.substring(url.lastIndexOf('/') + 1);
		execute("DROP ROLE IF EXISTS " + role, "CREATE ROLE " + role + " LOGIN PASSWORD 'app'");
		executeIn(url, "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
				"GRANT CONNECT ON DATABASE " + database + " TO " + role, "GRANT USAGE ON SCHEMA public TO " + role,
				"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + role,
				"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO " + role);
	}

	/**
	 * Runs a query that returns one text, in a database of this server.
	 * @param url the database URL
	 * @param sql the query
	 * @return the text in the first column of the first row, {@code null} when there is none
	 * @throws SQLException if the database fails
	 */
	public String queryString(String url, String sql) throws SQLException {
		try (Connection connection = connect(url);
				Statement statement = connection.createStatement();
				java.sql.ResultSet result = statement.executeQuery(sql)) {
			return result.next() ? result.getString(1) : null;
		}
	}

	/**
	 * Runs statements in a database of this server.
	 * @param url the database URL
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
	 * Opens a connection to a database of this server.
	 * @param url the database URL
	 * @return the connection
	 * @throws SQLException if the database fails
	 */
	public Connection connect(String url) throws SQLException {
		return DriverManager.getConnection(url, this.username, this.password);
	}

	/**
	 * Creates a small pool, as each instance of a fleet has its own.
	 * @param url the database URL
	 * @param size the pool size
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
	 * Restarts the server and waits until it accepts connections again.
	 */
	public void restart() {
		try {
			if (this.embedded != null) {
				this.embedded.restart();
			}
			else if (this.container != null) {
				DockerClientFactory.instance().client().restartContainerCmd(this.container.getContainerId()).exec();
			}
			else if (this.restartCommand != null) {
				Process process = new ProcessBuilder(this.restartCommand).inheritIO().start();
				if (process.waitFor() != 0) {
					throw new IllegalStateException("Restart command failed: " + this.restartCommand);
				}
			}
			else {
				throw new IllegalStateException("Set SCHEMAGATE_TEST_RESTART_COMMAND to a command that restarts the "
						+ "PostgreSQL server named by SCHEMAGATE_TEST_JDBC_URL (see README)");
			}
			awaitUp(Duration.ofSeconds(60));
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private void awaitUp(Duration timeout) throws InterruptedException {
		Instant deadline = Instant.now().plus(timeout);
		while (true) {
			try (Connection connection = DriverManager.getConnection(this.serverUrl, this.username, this.password)) {
				return;
			}
			catch (SQLException ex) {
				if (Instant.now().isAfter(deadline)) {
					throw new IllegalStateException("PostgreSQL did not come back within " + timeout, ex);
				}
				Thread.sleep(200);
			}
		}
	}

}
