package dev.schemagate.test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.schemagate.embedded.ServerFiles;

/**
 * A PgBouncer in transaction mode with one server connection, in front of a database of
 * the test server: every client's transactions share that one session, as they do behind
 * a busy pooler. Needs the {@code pgbouncer} program (Debian's {@code pgbouncer} package);
 * as root it runs as {@code nobody}, as PgBouncer refuses root.
 */
public final class TestPgBouncer implements AutoCloseable {

	private static final Pattern URL = Pattern.compile("jdbc:postgresql://([^:/]+)(?::(\\d+))?/([^?]+).*");

	private final Process process;

	private final Path directory;

	private final int port;

	private final String database;

	private TestPgBouncer(Process process, Path directory, int port, String database) {
		this.process = process;
		this.directory = directory;
		this.port = port;
		this.database = database;
	}

	/**
	 * Whether PgBouncer is installed here.
	 * @return whether {@link #start} can work
	 */
	public static boolean available() {
		return program() != null;
	}

	private static String program() {
		for (String candidate : List.of("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer")) {
			if (Files.isExecutable(Path.of(candidate))) {
				return candidate;
			}
		}
		return null;
	}

	/**
	 * Starts a pooler in front of a database.
	 * @param postgres the test server
	 * @param databaseUrl the database, on that server
	 * @return the running pooler
	 * @throws IOException if it cannot be started
	 * @throws InterruptedException if interrupted while it starts
	 */
	public static TestPgBouncer start(TestPostgres postgres, String databaseUrl)
			throws IOException, InterruptedException {
		return start(databaseUrl, postgres.username(), postgres.password(), 1, 100);
	}

	/**
	 * Starts a pooler in front of a database.
	 * @param databaseUrl the database
	 * @param username the server user
	 * @param password the server user's password
	 * @param poolSize the server sessions the pooler opens at most
	 * @param clients the client connections it takes at most
	 * @return the running pooler
	 * @throws IOException if it cannot be started
	 * @throws InterruptedException if interrupted while it starts
	 */
	public static TestPgBouncer start(String databaseUrl, String username, String password, int poolSize,
			int clients) throws IOException, InterruptedException {
		Matcher url = URL.matcher(databaseUrl);
		if (!url.matches()) {
			throw new IllegalArgumentException("Not a PostgreSQL JDBC URL: " + databaseUrl);
		}
		String host = url.group(1).equals("localhost") ? "127.0.0.1" : url.group(1);
		String serverPort = (url.group(2) != null) ? url.group(2) : "5432";
		String database = url.group(3);
		int port = ServerFiles.freePort();
		Path directory = Files.createTempDirectory("schemagate-pgbouncer-");
		directory.toFile().setReadable(true, false);
		directory.toFile().setExecutable(true, false);
		Path ini = directory.resolve("pgbouncer.ini");
		Files.writeString(ini, """
				[databases]
				%s = host=%s port=%s dbname=%s user=%s password=%s

				[pgbouncer]
				listen_addr = 127.0.0.1
				listen_port = %d
				unix_socket_dir =
				auth_type = any
				pool_mode = transaction
				default_pool_size = %d
				max_client_conn = %d
				ignore_startup_parameters = extra_float_digits,options
				""".formatted(database, host, serverPort, database, username, password, port, poolSize, clients));
		ini.toFile().setReadable(true, false);
		List<String> command = new ArrayList<>();
		if ("root".equals(System.getProperty("user.name"))) {
			command.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
		}
		command.addAll(List.of(program(), ini.toString()));
		Process process = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(directory.resolve("pgbouncer.log").toFile())
			.start();
		TestPgBouncer bouncer = new TestPgBouncer(process, directory, port, database);
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		while (true) {
			try (Socket socket = new Socket()) {
				socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
				return bouncer;
			}
			catch (IOException ex) {
				if (!process.isAlive() || System.nanoTime() > deadline) {
					String log = Files.readString(directory.resolve("pgbouncer.log"));
					bouncer.close();
					throw new IllegalStateException("PgBouncer did not start: " + log, ex);
				}
				Thread.sleep(50);
			}
		}
	}

	/**
	 * Returns the JDBC URL of the database through the pooler.
	 * @return the URL, with the prepared-statement settings a transaction pooler needs
	 */
	public String url() {
		return "jdbc:postgresql://127.0.0.1:" + this.port + "/" + this.database + "?prepareThreshold=0";
	}

	@Override
	public void close() throws IOException {
		this.process.destroy();
		try {
			if (!this.process.waitFor(5, TimeUnit.SECONDS)) {
				this.process.destroyForcibly();
			}
		}
		catch (InterruptedException ex) {
			this.process.destroyForcibly();
			Thread.currentThread().interrupt();
		}
		try (var files = Files.list(this.directory)) {
			for (Path file : files.toList()) {
				Files.deleteIfExists(file);
			}
		}
		Files.deleteIfExists(this.directory);
	}

}
