package dev.schemagate.demo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.schemagate.embedded.EmbeddedPostgresServer;
import dev.schemagate.launcher.AppProcess;

/**
 * Starts a fleet of the sample app at the same moment on one PostgreSQL database, shows
 * what each instance does as it happens, and proves afterwards, from the rows the
 * non-idempotent changesets inserted, that every changeset ran once. Run through
 * {@code java sample-app/Demo.java}, which builds the sample first.
 */
public final class FleetDemo {

	private static final String USAGE = """
			Usage: java sample-app/Demo.java [options]
			  --instances N          instances started at once (default 4)
			  --slow SECONDS         length of the slow changeset 003 (default 8)
			  --kill-leader          SIGKILL the leader in the slow changeset; a waiter takes over
			  --freeze-leader        SIGSTOP the leader in the slow changeset; a waiter ends its
			                         session after the lock's time-to-live, the leader rejoins later
			  --rolling              then deploy version 2 (one more slow changeset, and a column
			                         rename whose contract waits for the last version 1 instance)
			                         one instance at a time, while version 1 keeps serving
			  --keep                 keep the fleet running at the end, until Ctrl-C
			  --database-url URL     use this PostgreSQL database instead of an embedded server
			  --username NAME, --password SECRET   its credentials
			""";

	private static final Pattern SESSION = Pattern.compile("^schemagate .* pid (\\d+)$");

	private static final Duration DEADLINE = Duration.ofMinutes(5);

	private final Options options;

	private final PrintStream out = System.out;

	private final boolean live = System.console() != null && !"dumb".equals(System.getenv("TERM"));

	private final List<DemoInstance> instances = new CopyOnWriteArrayList<>();

	private final List<String> events = new CopyOnWriteArrayList<>();

	private final Map<DemoInstance, String> lastStates = new HashMap<>();

	private final long startedNanos = System.nanoTime();

	private final Path logs = Path.of("sample-app", "target", "demo");

	private EmbeddedPostgresServer embedded;

	private String url;

	private String username;

	private String password;

	private Connection observer;

	private int drawnLines;

	private DemoInstance lastLeader;

	private boolean rollingServed = true;

	private FleetDemo(Options options) {
		this.options = options;
	}

	public static void main(String[] args) {
		Options options;
		try {
			options = Options.parse(args);
		}
		catch (IllegalArgumentException ex) {
			System.err.println(ex.getMessage());
			System.err.print(USAGE);
			System.exit(2);
			return;
		}
		if (options.help) {
			System.out.print(USAGE);
			return;
		}
		// the demo prints what matters itself; the libraries' info logging would only interleave
		((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
			.setLevel(ch.qos.logback.classic.Level.WARN);
		FleetDemo demo = new FleetDemo(options);
		Thread cleanup = new Thread(demo::stopEverything, "demo-cleanup");
		Runtime.getRuntime().addShutdownHook(cleanup);
		int status;
		try {
			status = demo.run();
		}
		catch (Exception ex) {
			System.err.println("The demo failed: " + ex.getMessage());
			status = 1;
		}
		System.exit(status);
	}

	private int run() throws Exception {
		Path jar = Path.of("sample-app", "target", "schemagate-sample-app.jar");
		if (!Files.isRegularFile(jar)) {
			throw new IllegalStateException(jar + " is missing: run the demo with 'java sample-app/Demo.java', "
					+ "which builds it");
		}
		Files.createDirectories(this.logs);
		startDatabase();
		this.out.printf("%d instances of the sample app start now, at the same moment. Logs: %s/%n%n",
				this.options.instances, this.logs);
		Map<String, String> environment = environment(1);
		List<String> arguments = new ArrayList<>();
		if (this.options.freezeLeader) {
			// a shorter time-to-live than the default 10 s keeps the demo short
			arguments.add("--schemagate.lock.time-to-live=6s");
		}
		for (int i = 1; i <= this.options.instances; i++) {
			this.instances.add(DemoInstance.start(i, "v1", jar, this.logs, environment, arguments, AppProcess.freePort()));
		}
		boolean faultInjected = !(this.options.killLeader || this.options.freezeLeader);
		DemoInstance frozen = null;
		long frozenAt = 0;
		long deadline = System.nanoTime() + DEADLINE.toNanos();
		while (!allSettled()) {
			if (System.nanoTime() > deadline) {
				event("not every instance was ready within " + DEADLINE.toMinutes() + " minutes");
				break;
			}
			Observation observation = observe();
			if (!faultInjected && observation.leader != null && observation.inSlowChangesetFor >= 2) {
				DemoInstance leader = observation.leader;
				if (this.options.killLeader) {
					leader.process.destroyForcibly();
					leader.fate = "killed";
					event(leader.label() + " killed (SIGKILL) in changeset 003-slow-backfill");
					int replacement = this.instances.size() + 1;
					this.instances.add(DemoInstance.start(replacement, "v1", jar, this.logs, environment, arguments,
							AppProcess.freePort()));
					event("#" + replacement + " started in its place, as an orchestrator restarts a container");
				}
				else {
					leader.signal("STOP");
					leader.fate = "frozen";
					frozen = leader;
					frozenAt = System.nanoTime();
					event(leader.label() + " frozen (SIGSTOP) in changeset 003-slow-backfill");
				}
				faultInjected = true;
			}
			if (frozen != null && (othersReady(frozen) || System.nanoTime() - frozenAt > Duration.ofSeconds(40).toNanos())) {
				frozen.signal("CONT");
				frozen.fate = null;
				event(frozen.label() + " resumed (SIGCONT): its session was ended, it starts over");
				frozen = null;
			}
			render(observation);
			Thread.sleep(250);
		}
		render(observe());
		if (this.options.rolling && allReady()) {
			rollingDeploy(jar, arguments);
			render(observe());
		}
		boolean proven = summary();
		if (this.options.keep) {
			this.out.println("\nThe fleet keeps running; Ctrl-C stops it, and the database with it.");
			Thread.currentThread().join();
		}
		return (proven && allReady() && this.rollingServed) ? 0 : 1;
	}

	private void rollingDeploy(Path jar, List<String> arguments) throws Exception {
		event("rolling deploy of version 2 (changeset 006-v2-backfill), one instance at a time");
		List<DemoInstance> old = this.instances.stream().filter((instance) -> instance.process.isAlive()).toList();
		Map<String, String> environment = environment(2);
		long deadline = System.nanoTime() + DEADLINE.toNanos();
		boolean keptServing = true;
		for (DemoInstance replaced : old) {
			int number = this.instances.size() + 1;
			DemoInstance next = DemoInstance.start(number, "v2", jar, this.logs, environment, arguments, AppProcess.freePort());
			this.instances.add(next);
			event("#" + number + " (v2) started to replace " + replaced.label());
			while (next.readyAfter == null && next.process.isAlive() && System.nanoTime() < deadline) {
				render(observe());
				for (DemoInstance serving : old) {
					if (serving.fate == null && !serving.isReady()) {
						event(serving.label() + " (v1) stopped serving while " + next.label() + " started");
						keptServing = false;
					}
				}
				Thread.sleep(250);
			}
			replaced.fate = "replaced";
			replaced.stop();
			event(replaced.label() + " (v1) stopped");
			render(observe());
		}
		event(keptServing ? "version 1 served throughout, while version 2 migrated and started"
				: "version 1 did not serve throughout");
		this.rollingServed = keptServing;
	}

	private Map<String, String> environment(int version) {
		Map<String, String> environment = new LinkedHashMap<>();
		environment.put("SAMPLE_DB_URL", this.url);
		environment.put("SAMPLE_DB_USERNAME", this.username);
		environment.put("SAMPLE_DB_PASSWORD", this.password);
		environment.put("SAMPLE_DB_POOL_SIZE", "3");
		environment.put("SAMPLE_SLOW_SECONDS", Integer.toString(this.options.slowSeconds));
		environment.put("SAMPLE_V2_SLOW_SECONDS", Integer.toString(this.options.slowSeconds));
		if (version == 2) {
			// version 2's code and changelog
			environment.put("SPRING_PROFILES_ACTIVE", "v2");
		}
		return environment;
	}

	private void startDatabase() throws SQLException {
		if (this.options.databaseUrl != null) {
			this.url = this.options.databaseUrl;
			this.username = this.options.username;
			this.password = this.options.password;
			this.out.println("PostgreSQL: " + this.url);
		}
		else {
			this.out.print("Starting PostgreSQL 17 (embedded: binaries from a jar, data in a temporary directory)...");
			this.out.flush();
			long start = System.nanoTime();
			this.embedded = EmbeddedPostgresServer.builder().start();
			this.embedded.createDatabase("schemagate_demo");
			this.url = this.embedded.jdbcUrl("schemagate_demo");
			this.username = EmbeddedPostgresServer.USERNAME;
			this.password = EmbeddedPostgresServer.PASSWORD;
			this.out.printf(" up in %.1f s on port %d%n", seconds(System.nanoTime() - start), this.embedded.port());
		}
		this.observer = DriverManager.getConnection(this.url, this.username, this.password);
	}

	/**
	 * What the database and the instances' endpoints say now.
	 */
	private Observation observe() {
		Observation observation = new Observation();
		try (Statement statement = this.observer.createStatement()) {
			try (ResultSet sessions = statement.executeQuery(
					"SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'schemagate %'")) {
				while (sessions.next()) {
					Matcher matcher = SESSION.matcher(sessions.getString(1));
					if (matcher.matches()) {
						observation.sessions.add(Long.parseLong(matcher.group(1)));
					}
				}
			}
			try (ResultSet leader = statement.executeQuery("""
					SELECT PID, CHANGESET_INDEX, CHANGESET_COUNT, CHANGESET_ID,
					       extract(epoch FROM now() - CHANGESET_STARTED_AT)
					FROM SCHEMAGATE_LEADER WHERE to_regclass('schemagate_leader') IS NOT NULL""")) {
				if (leader.next()) {
					long pid = leader.getLong(1);
					observation.leader = byPid(pid).orElse(null);
					if (leader.getString(4) != null) {
						observation.changeset = String.format("changeset %d/%d %s", leader.getInt(2), leader.getInt(3),
								leader.getString(4));
						observation.changesetFor = leader.getDouble(5);
						if (leader.getString(4).equals("003-slow-backfill")) {
							observation.inSlowChangesetFor = leader.getDouble(5);
						}
					}
				}
			}
		}
		catch (SQLException ex) {
			// the table does not exist yet, or the connection went: asked again on the next tick
			reconnectQuietly();
		}
		for (DemoInstance instance : this.instances) {
			if (instance.readyAfter == null && instance.process.isAlive() && instance.fate == null
					&& instance.isReady()) {
				instance.readyAfter = instance.age();
				instance.report = instance.get("/actuator/schemagate").orElse(null);
			}
		}
		return observation;
	}

	private void reconnectQuietly() {
		try {
			if (this.observer.isValid(1)) {
				return;
			}
			this.observer.close();
			this.observer = DriverManager.getConnection(this.url, this.username, this.password);
		}
		catch (SQLException ex) {
			// the database is out of reach for the moment
		}
	}

	private Optional<DemoInstance> byPid(long pid) {
		return this.instances.stream().filter((instance) -> instance.pid() == pid).findFirst();
	}

	private void noticeTakeover(Observation observation) {
		if (observation.leader == null || observation.leader == this.lastLeader) {
			return;
		}
		if (this.lastLeader != null && this.lastLeader.fate != null) {
			event(observation.leader.label() + " took over from " + this.lastLeader.label() + " ("
					+ this.lastLeader.fate + ")");
		}
		this.lastLeader = observation.leader;
	}

	private String state(DemoInstance instance, Observation observation) {
		if ("killed".equals(instance.fate)) {
			return "killed";
		}
		if ("replaced".equals(instance.fate)) {
			return "stopped (replaced)";
		}
		if ("frozen".equals(instance.fate)) {
			return "frozen (SIGSTOP)";
		}
		if (instance.readyAfter != null) {
			return String.format("ready after %.1f s", seconds(instance.readyAfter.toNanos()));
		}
		if (!instance.process.isAlive()) {
			return "exited with code " + instance.process.exitValue() + ", see " + instance.log;
		}
		if (instance == observation.leader) {
			instance.passedGate = true;
			return (observation.changeset != null)
					? String.format("migrating %s for %.1f s", observation.changeset, observation.changesetFor)
					: "took the lock, reading the changelog";
		}
		if (observation.sessions.contains(instance.pid())) {
			instance.passedGate = true;
			return (observation.leader != null) ? "waiting for " + observation.leader.label()
					: "waiting for the lock";
		}
		return instance.passedGate ? "schema migrated, starting the app" : "starting";
	}

	private void render(Observation observation) {
		noticeTakeover(observation);
		List<String> lines = new ArrayList<>();
		for (DemoInstance instance : this.instances) {
			String state = state(instance, observation);
			lines.add(String.format("  %-4s %-3s pid %-7d :%-5d %s", instance.label(), instance.version,
					instance.pid(), instance.port, state));
			String shape = state.replaceAll("[0-9.]+ s", "").strip();
			// what the demo did to an instance is told by its event line already
			if (!this.live && !shape.equals(this.lastStates.put(instance, shape)) && instance.fate == null) {
				this.out.printf("%6.1f s  %s %s%n", elapsed(), instance.label(), state);
			}
		}
		if (!this.live) {
			return;
		}
		StringBuilder frame = new StringBuilder();
		if (this.drawnLines > 0) {
			frame.append("\033[").append(this.drawnLines).append('A');
		}
		frame.append(String.format("\033[2K  %.1f s%n", elapsed()));
		for (String line : lines) {
			frame.append("\033[2K").append(line).append('\n');
		}
		for (String event : this.events) {
			frame.append("\033[2K  ").append(event).append('\n');
		}
		this.out.print(frame);
		this.out.flush();
		this.drawnLines = 1 + lines.size() + this.events.size();
	}

	private void event(String text) {
		String line = String.format("%6.1f s  %s", elapsed(), text);
		if (this.live) {
			this.events.add("> " + line.strip());
		}
		else {
			this.out.println(line);
		}
	}

	/**
	 * Prints who led, each instance's wait and start, and the proof that every changeset ran
	 * once: the rows the non-idempotent changesets inserted.
	 * @return whether every changeset ran exactly once
	 */
	private boolean summary() throws SQLException {
		reconnectQuietly();
		this.out.println("\nSummary");
		this.out.printf("  %-4s %-3s %-12s %-12s %s%n", "", "", "ready after", "waited", "changesets applied");
		for (DemoInstance instance : this.instances) {
			String ready = (instance.readyAfter != null) ? String.format("%.1f s", seconds(instance.readyAfter.toNanos()))
					: (instance.fate != null ? instance.fate : "not ready");
			String waited = field(instance.report, "waitedMillis").map((ms) -> String.format("%.1f s", ms / 1000.0))
				.orElse("-");
			String applied = (instance.report != null) ? Integer.toString(appliedCount(instance.report)) : "-";
			this.out.printf("  %-4s %-3s %-12s %-12s %s%n", instance.label(), instance.version, ready, waited, applied);
		}
		try (Statement statement = this.observer.createStatement()) {
			this.out.println("\n  Who applied each changeset (SCHEMAGATE_HISTORY):");
			try (ResultSet history = statement.executeQuery(
					"SELECT CHANGESET_ID, PID, DURATION_MS, OUTCOME FROM SCHEMAGATE_HISTORY ORDER BY ID")) {
				while (history.next()) {
					String by = byPid(history.getLong(2)).map(DemoInstance::label).orElse("pid " + history.getLong(2));
					this.out.printf("    %-24s %-4s %6d ms  %s%n", history.getString(1), by, history.getLong(3),
							history.getString(4).toLowerCase(Locale.ROOT));
				}
			}
			Map<String, Integer> expected = new LinkedHashMap<>();
			expected.put("seed", 1);
			expected.put("slow", 1);
			expected.put("after-index", 1);
			if (this.options.rolling) {
				expected.put("v2", 1);
			}
			Map<String, Integer> rows = new LinkedHashMap<>();
			try (ResultSet audit = statement.executeQuery(
					"SELECT note, count(*) FROM migration_audit GROUP BY note ORDER BY min(id)")) {
				while (audit.next()) {
					rows.put(audit.getString(1), audit.getInt(2));
				}
			}
			boolean once = rows.equals(expected);
			this.out.printf("%n  Exactly once: the non-idempotent changesets inserted %s into migration_audit "
					+ "(expected %s): %s%n", rows, expected, once ? "each ran once" : "NOT EXACTLY ONCE");
			return once;
		}
	}

	private static Optional<Long> field(String json, String name) {
		if (json == null) {
			return Optional.empty();
		}
		Matcher matcher = Pattern.compile("\"" + name + "\":(\\d+)").matcher(json);
		return matcher.find() ? Optional.of(Long.parseLong(matcher.group(1))) : Optional.empty();
	}

	private static int appliedCount(String json) {
		Matcher matcher = Pattern.compile("\"applied\":\\[(.*?)\\]").matcher(json);
		if (!matcher.find() || matcher.group(1).isBlank()) {
			return 0;
		}
		return matcher.group(1).split("\\},\\{").length;
	}

	// a frozen instance is alive and not ready: the demo waits until it resumes and starts
	private boolean allSettled() {
		return this.instances.stream().allMatch((instance) -> instance.readyAfter != null || !instance.process.isAlive());
	}

	private boolean allReady() {
		return this.instances.stream()
			.allMatch((instance) -> instance.readyAfter != null || "killed".equals(instance.fate)
					|| "replaced".equals(instance.fate));
	}

	private boolean othersReady(DemoInstance frozen) {
		return this.instances.stream()
			.filter((instance) -> instance != frozen && instance.fate == null)
			.allMatch((instance) -> instance.readyAfter != null);
	}

	private void stopEverything() {
		for (DemoInstance instance : this.instances) {
			instance.stop();
		}
		try {
			if (this.observer != null) {
				this.observer.close();
			}
		}
		catch (SQLException ex) {
			// closing anyway
		}
		if (this.embedded != null) {
			this.embedded.close();
		}
	}

	private double elapsed() {
		return seconds(System.nanoTime() - this.startedNanos);
	}

	private static double seconds(long nanos) {
		return nanos / 1e9;
	}

	private static final class Observation {

		final List<Long> sessions = new ArrayList<>();

		DemoInstance leader;

		String changeset;

		double changesetFor;

		double inSlowChangesetFor = -1;

	}

	private static final class Options {

		int instances = 4;

		int slowSeconds = 8;

		boolean killLeader;

		boolean freezeLeader;

		boolean rolling;

		boolean keep;

		boolean help;

		String databaseUrl;

		String username = "postgres";

		String password = "postgres";

		static Options parse(String[] args) {
			Options options = new Options();
			for (int i = 0; i < args.length; i++) {
				switch (args[i]) {
					case "--instances" -> options.instances = positive(args, ++i);
					case "--slow" -> options.slowSeconds = positive(args, ++i);
					case "--kill-leader" -> options.killLeader = true;
					case "--freeze-leader" -> options.freezeLeader = true;
					case "--rolling" -> options.rolling = true;
					case "--keep" -> options.keep = true;
					case "--database-url" -> options.databaseUrl = value(args, ++i);
					case "--username" -> options.username = value(args, ++i);
					case "--password" -> options.password = value(args, ++i);
					case "--help", "-h" -> options.help = true;
					default -> throw new IllegalArgumentException("Unknown option: " + args[i]);
				}
			}
			if (options.killLeader && options.freezeLeader) {
				throw new IllegalArgumentException("Choose one of --kill-leader and --freeze-leader");
			}
			if ((options.killLeader || options.freezeLeader) && options.slowSeconds < 4) {
				throw new IllegalArgumentException("--kill-leader and --freeze-leader need --slow of 4 s or more");
			}
			return options;
		}

		private static String value(String[] args, int i) {
			if (i >= args.length) {
				throw new IllegalArgumentException(args[i - 1] + " needs a value");
			}
			return args[i];
		}

		private static int positive(String[] args, int i) {
			try {
				int value = Integer.parseInt(value(args, i));
				if (value < 1) {
					throw new NumberFormatException();
				}
				return value;
			}
			catch (NumberFormatException ex) {
				throw new IllegalArgumentException(args[i - 1] + " needs a positive number, not " + args[i]);
			}
		}

	}

}
