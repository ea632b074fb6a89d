package dev.schemagate.sample.fleet;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.schemagate.embedded.ServerFiles;
import dev.schemagate.launcher.AppProcess;
import dev.schemagate.test.TestMariaDb;
import dev.schemagate.test.TestPostgres;

/**
 * A fleet of sample-app JVMs started at once on one database, as a deploy replaces every
 * container of an app.
 */
final class Fleet implements AutoCloseable {

	private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

	private static final Pattern PID = Pattern.compile("pid (\\d+)");

	private final List<Member> members = new ArrayList<>();

	private Fleet() {
	}

	/**
	 * Starts the fleet.
	 * @param name the scenario, naming the log folder
	 * @param size how many instances
	 * @param databaseUrl the database they share
	 * @param properties extra application properties for every instance
	 * @return the running fleet
	 * @throws IOException if a JVM cannot be started
	 */
	static Fleet start(String name, int size, String databaseUrl, Map<String, String> properties)
			throws IOException {
		return start(name, size, databaseUrl, properties, List.of(), "localhost");
	}

	/**
	 * Starts the fleet through a launcher, for example inside a network namespace.
	 * @param name the scenario, naming the log folder
	 * @param size how many instances
	 * @param databaseUrl the database they share, as they reach it
	 * @param properties extra application properties for every instance
	 * @param launcher the command that runs each JVM's command line, empty for none
	 * @param host where the instances' HTTP ports are reached from this JVM
	 * @return the running fleet
	 * @throws IOException if a JVM cannot be started
	 */
	static Fleet start(String name, int size, String databaseUrl, Map<String, String> properties,
			List<String> launcher, String host) throws IOException {
		Path logs = Path.of("target", "fleet-logs", name);
		String jar = System.getProperty("sample.jar");
		if (jar == null || !new File(jar).isFile()) {
			throw new IllegalStateException("The sample app jar is missing (" + jar + "): run the fleet tests with "
					+ "'mvn verify', which packages it first");
		}
		String[] credentials = credentials(databaseUrl);
		Fleet fleet = new Fleet();
		for (int i = 0; i < size; i++) {
			AppProcess app = AppProcess.of(Path.of(jar), logs.resolve("instance-" + i + ".log"))
				.launchedBy(launcher, host)
				.properties(properties)
				.environment(Map.of("SAMPLE_DB_URL", databaseUrl, "SAMPLE_DB_USERNAME", credentials[0],
						"SAMPLE_DB_PASSWORD", credentials[1], "SAMPLE_DB_POOL_SIZE", "3"))
				.start();
			fleet.members.add(new Member(i, app));
		}
		return fleet;
	}

	// the test server of the database the URL names
	private static String[] credentials(String url) {
		if (url.startsWith("jdbc:mariadb:")) {
			return new String[] { TestMariaDb.get().username(), TestMariaDb.get().password() };
		}
		return new String[] { TestPostgres.get().username(), TestPostgres.get().password() };
	}

	/**
	 * Opens a session on the test server of the database the URL names.
	 * @param url the database
	 * @return the session
	 * @throws SQLException if the database fails
	 */
	static Connection connect(String url) throws SQLException {
		return url.startsWith("jdbc:mariadb:") ? TestMariaDb.get().connect(url) : TestPostgres.get().connect(url);
	}

	List<Member> members() {
		return this.members;
	}

	/**
	 * Finds the instance named by a database session's {@code application_name}.
	 * @param applicationName the application name, {@code schemagate <host> pid <pid>}
	 * @return the instance, if it belongs to this fleet
	 */
	Optional<Member> byApplicationName(String applicationName) {
		Matcher matcher = PID.matcher(applicationName);
		if (!matcher.find()) {
			return Optional.empty();
		}
		long pid = Long.parseLong(matcher.group(1));
		return this.members.stream().filter((member) -> member.process().pid() == pid).findFirst();
	}

	/**
	 * Waits until every instance that is alive reports readiness.
	 * @param timeout how long to wait
	 * @return each ready instance's time from start to readiness
	 * @throws InterruptedException if interrupted
	 */
	Map<Member, Duration> awaitReady(Duration timeout) throws InterruptedException {
		return awaitReady(timeout, List.of());
	}

	/**
	 * Waits until every instance that is alive, but those left out, reports readiness.
	 * @param timeout how long to wait
	 * @param leftOut instances not waited for, such as a frozen one
	 * @return each ready instance's time from start to readiness
	 * @throws InterruptedException if interrupted
	 */
	Map<Member, Duration> awaitReady(Duration timeout, List<Member> leftOut) throws InterruptedException {
		Map<Member, Duration> ready = new LinkedHashMap<>();
		List<Member> awaited = this.members.stream().filter((member) -> !leftOut.contains(member)).toList();
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			for (Member member : awaited) {
				if (!ready.containsKey(member) && member.process().isAlive() && member.isReady()) {
					ready.put(member, Duration.ofNanos(System.nanoTime() - member.startedNanos()));
				}
			}
			if (awaited.stream().allMatch((member) -> ready.containsKey(member) || !member.process().isAlive())) {
				awaited.stream().filter((member) -> !ready.containsKey(member)).forEach(Fleet::reportExit);
				return ready;
			}
			Thread.sleep(200);
		}
		List<Integer> notReady = awaited.stream()
			.filter((member) -> !ready.containsKey(member))
			.map(Member::index)
			.toList();
		throw new AssertionError("Instances " + notReady + " were not ready within " + timeout + "; see their logs in "
				+ this.members.get(0).log().getParent());
	}

	// an instance that ended before it was ready: why, for whoever reads a failed test's output
	private static void reportExit(Member member) {
		System.out.println("[fleet] instance " + member.index() + " ended with exit code "
				+ member.process().exitValue() + " before it was ready; the end of " + member.log() + ":\n"
				+ ServerFiles.tail(member.log()));
	}

	/**
	 * Waits until an instance of this fleet runs a statement like the pattern.
	 * @param url the database
	 * @param pattern the statement, as {@code ILIKE} matches it
	 * @param timeout how long to wait
	 * @return the instance whose session runs it
	 * @throws Exception if the database fails or no instance runs it in time
	 */
	Member awaitRunning(String url, String pattern, Duration timeout) throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			String applicationName = TestPostgres.get().queryString(url, "SELECT min(application_name) "
					+ "FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query ILIKE '"
					+ pattern + "'");
			Optional<Member> member = (applicationName != null) ? byApplicationName(applicationName)
					: Optional.empty();
			if (member.isPresent()) {
				return member.get();
			}
			Thread.sleep(100);
		}
		throw new AssertionError("No instance ran '" + pattern + "' within " + timeout);
	}

	/**
	 * Waits until so many instances wait for the fence on sessions of their own: sessions
	 * that hold one of its listener slots (two-key advisory locks).
	 * @param url the database
	 * @param instances how many
	 * @param timeout how long to wait
	 * @throws Exception if the database fails or they do not wait in time
	 */
	static void awaitWaiting(String url, int instances, Duration timeout) throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (TestPostgres.get().queryLong(url, "SELECT count(*) FROM pg_stat_activity a "
				+ "WHERE a.datname = current_database() AND a.application_name LIKE 'schemagate %' AND EXISTS "
				+ "(SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted "
				+ "AND l.objsubid = 2)") < instances) {
			if (System.nanoTime() > deadline) {
				throw new AssertionError(instances + " instances were not waiting within " + timeout);
			}
			Thread.sleep(100);
		}
	}

	/**
	 * Counts the rows the sample's changesets insert into {@code migration_audit}, by note:
	 * a changeset that ran twice leaves two.
	 * @param url the database
	 * @return the count of each note
	 * @throws SQLException if the database fails
	 */
	static Map<String, Long> auditRows(String url) throws SQLException {
		Map<String, Long> rows = new LinkedHashMap<>();
		try (Connection connection = connect(url);
				Statement statement = connection.createStatement();
				ResultSet result = statement
					.executeQuery("SELECT note, count(*) FROM migration_audit GROUP BY note ORDER BY note")) {
			while (result.next()) {
				rows.put(result.getString(1), result.getLong(2));
			}
		}
		return rows;
	}

	/**
	 * Reads from the migration history the pids of the instances that applied a changeset.
	 * @param url the database
	 * @param changesetId the changeset
	 * @return the pids, one per time it was applied
	 * @throws SQLException if the database fails
	 */
	static List<Long> appliedBy(String url, String changesetId) throws SQLException {
		List<Long> pids = new ArrayList<>();
		try (Connection connection = connect(url);
				PreparedStatement statement = connection
					.prepareStatement("SELECT PID FROM SCHEMAGATE_HISTORY WHERE CHANGESET_ID = ? AND OUTCOME = 'APPLIED'")) {
			statement.setString(1, changesetId);
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					pids.add(result.getLong(1));
				}
			}
		}
		return pids;
	}

	@Override
	public void close() {
		for (Member member : this.members) {
			try {
				member.app().destroy();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/**
	 * Sends a signal to an instance's JVM.
	 * @param member the instance
	 * @param signal the signal name, {@code KILL}, {@code STOP} or {@code CONT}
	 */
	static void signal(Member member, String signal) {
		member.app().signal(signal);
	}

	/**
	 * One instance of the fleet.
	 *
	 * @param index its number in the fleet
	 * @param app its JVM
	 */
	record Member(int index, AppProcess app) {

		String host() {
			return this.app.host();
		}

		int port() {
			return this.app.port();
		}

		Process process() {
			return this.app.process();
		}

		long startedNanos() {
			return this.app.startedNanos();
		}

		Path log() {
			return this.app.log();
		}

		String get(String path) throws IOException, InterruptedException {
			return http
				.send(HttpRequest.newBuilder(URI.create("http://" + host() + ":" + port() + path))
					.timeout(Duration.ofSeconds(5))
					.build(), HttpResponse.BodyHandlers.ofString())
				.body();
		}

		int post(String path, String body) throws IOException, InterruptedException {
			return http
				.send(HttpRequest.newBuilder(URI.create("http://" + host() + ":" + port() + path))
					.timeout(Duration.ofSeconds(5))
					.POST(HttpRequest.BodyPublishers.ofString(body))
					.build(), HttpResponse.BodyHandlers.ofString())
				.statusCode();
		}

		String output() throws IOException {
			return Files.readString(log());
		}

		boolean isReachable() {
			try {
				http.send(HttpRequest.newBuilder(URI.create("http://" + host() + ":" + port() + "/actuator/health"))
					.timeout(Duration.ofSeconds(2))
					.build(), HttpResponse.BodyHandlers.discarding());
				return true;
			}
			catch (IOException ex) {
				return false;
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return false;
			}
		}

		boolean isReady() {
			return this.app.isReady();
		}

	}

}
