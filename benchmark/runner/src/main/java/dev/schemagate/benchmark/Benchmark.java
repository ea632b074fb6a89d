package dev.schemagate.benchmark;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.schemagate.benchmark.AppFleet.Member;
import dev.schemagate.embedded.EmbeddedPostgresServer;
import dev.schemagate.embedded.mariadb.EmbeddedMariaDbServer;
import dev.schemagate.test.TestPgBouncer;

/**
 * Starts fleets of the sample app with schemagate, with plain Spring Boot and Liquibase, and
 * with Flyway, side by side in one run, times them from outside and writes the table.
 * <p>
 * Usage: {@code benchmark/run.sh [--short] [--mariadb] [--cpu SHARE] [--only SECTIONS] [--pairs N] [--out DIR]};
 * {@code --only} takes some of {@code fleet,takeover,load,single,big}, {@code --sizes 1,12} the fleet sizes. The database comes from
 * {@code SCHEMAGATE_TEST_JDBC_URL}, {@code SCHEMAGATE_TEST_USERNAME} and
 * {@code SCHEMAGATE_TEST_PASSWORD} (with {@code --mariadb}, the {@code SCHEMAGATE_TEST_MARIADB_}
 * ones), as for the tests, or is started for the run. On MariaDB it runs the fleet and
 * takeover tables. With {@code --cpu 0.15} every instance runs in a CPU cgroup of its own
 * with that share of a core, as a pod with a CPU limit.
 */
public final class Benchmark {

	/** The slow changeset of a fleet start, in seconds. */
	private static final int FLEET_SLOW_SECONDS = 3;

	/** The slow changeset during which a leader is killed or frozen, in seconds. */
	private static final int FAULT_SLOW_SECONDS = 5;

	/** The instances of a takeover: the leader and two that wait for it. */
	private static final int FAULT_INSTANCES = 3;

	private static final String DECIDED = "The schema holds every changeset up to";

	private final BenchmarkDatabase database;

	private final List<App> apps;

	private final boolean quick;

	private final Path out;

	private final Report report = new Report();

	private CpuLimit cpuLimit;

	// the sections to run, all by default
	private Set<String> only = Set.of();

	// pairs of single starts on a migrated database
	private int pairs;

	// the fleet sizes, when not the default ones
	private List<Integer> sizes;

	private Benchmark(BenchmarkDatabase database, List<App> apps, boolean quick, Path out) {
		this.database = database;
		this.apps = apps;
		this.quick = quick;
		this.out = out;
		this.pairs = quick ? 1 : 5;
	}

	public static void main(String[] args) throws Exception {
		List<String> arguments = Arrays.asList(args);
		boolean quick = arguments.contains("--short");
		int outIndex = arguments.indexOf("--out");
		Path root = Path.of(System.getProperty("benchmark.root", ".")).toAbsolutePath().normalize();
		boolean mariadb = arguments.contains("--mariadb");
		Path out = (outIndex >= 0) ? Path.of(arguments.get(outIndex + 1))
				: root.resolve(mariadb ? "benchmark/target/results-mariadb" : "benchmark/target/results");
		List<App> apps = List.of(
				new App(App.SCHEMAGATE, root.resolve("sample-app/target/schemagate-sample-app.jar")),
				new App(App.PLAIN,
						root.resolve("benchmark/plain-app/target/schemagate-benchmark-plain-app.jar")),
				new App(App.FLYWAY,
						root.resolve("benchmark/flyway-app/target/schemagate-benchmark-flyway-app.jar")));
		List<AutoCloseable> servers = new ArrayList<>();
		BenchmarkDatabase database = mariadb ? mariaDb(servers) : postgres(servers);
		Benchmark benchmark = new Benchmark(database, apps, quick, out);
		int cpuIndex = arguments.indexOf("--cpu");
		if (cpuIndex >= 0) {
			benchmark.cpuLimit = CpuLimit.of(Double.parseDouble(arguments.get(cpuIndex + 1)));
			if (benchmark.cpuLimit != null) {
				System.out.println("CPU limits: " + benchmark.cpuLimit.describe());
				benchmark.report.note("Every instance ran in a CPU cgroup of its own, " + benchmark.cpuLimit.describe()
						+ ", at every N.");
			}
		}
		int onlyIndex = arguments.indexOf("--only");
		if (onlyIndex >= 0) {
			benchmark.only = Set.of(arguments.get(onlyIndex + 1).split(","));
		}
		else if (Boolean.getBoolean("benchmark.loadOnly")) {
			benchmark.only = Set.of("load");
		}
		int sizesIndex = arguments.indexOf("--sizes");
		if (sizesIndex >= 0) {
			benchmark.sizes = Arrays.stream(arguments.get(sizesIndex + 1).split(",")).map(Integer::valueOf).toList();
		}
		int pairsIndex = arguments.indexOf("--pairs");
		if (pairsIndex >= 0) {
			benchmark.pairs = Integer.parseInt(arguments.get(pairsIndex + 1));
		}
		long started = System.nanoTime();
		try {
			benchmark.run();
		}
		finally {
			database.dropAll();
			if (benchmark.cpuLimit != null) {
				benchmark.cpuLimit.close();
			}
			for (AutoCloseable server : servers) {
				server.close();
			}
		}
		benchmark.report.note(String.format(Locale.ROOT, "The run took %.1f minutes on %d cores.",
				(System.nanoTime() - started) / 60e9, Runtime.getRuntime().availableProcessors()));
		benchmark.report.write(out);
		System.out.println(benchmark.report.markdown());
		System.out.println("Written to " + out.resolve("results.md") + " and " + out.resolve("results.csv"));
	}

	// a server of the run's own where none is configured, as on a fresh machine
	private static BenchmarkDatabase postgres(List<AutoCloseable> servers) throws Exception {
		Postgres configured = Postgres.configured();
		EmbeddedPostgresServer embedded = (configured != null) ? null : EmbeddedPostgresServer.builder().start();
		if (embedded != null) {
			servers.add(embedded);
		}
		Postgres postgres = (configured != null) ? configured : Postgres.embedded(embedded);
		System.out.println("PostgreSQL: " + ((configured != null) ? "configured, " + postgres.serverVersion()
				: "embedded, " + postgres.serverVersion() + " (set SCHEMAGATE_TEST_JDBC_URL to use a server of yours)"));
		return postgres;
	}

	private static BenchmarkDatabase mariaDb(List<AutoCloseable> servers) throws Exception {
		MariaDb configured = MariaDb.configured();
		EmbeddedMariaDbServer embedded = (configured != null) ? null : EmbeddedMariaDbServer.builder().start();
		if (embedded != null) {
			servers.add(embedded);
		}
		MariaDb mariadb = (configured != null) ? configured : MariaDb.embedded(embedded);
		System.out.println("MariaDB: " + ((configured != null) ? "configured, " + mariadb.serverVersion()
				: "embedded, " + mariadb.serverVersion() + " (set SCHEMAGATE_TEST_MARIADB_URL to use a server of yours)"));
		return mariadb;
	}

	private void run() throws Exception {
		this.report.database(this.database.serverVersion());
		List<Integer> sizes = (this.sizes != null) ? this.sizes : this.quick ? List.of(1, 4) : List.of(1, 4, 8, 12);
		if (runs("fleet")) {
			fleetStarts(sizes);
		}
		if (runs("takeover")) {
			takeovers(this.quick ? List.of("KILL") : List.of("KILL", "STOP"));
		}
		if (!(this.database instanceof Postgres postgres)) {
			// the fleet and takeover tables: the rest is PostgreSQL's
			return;
		}
		if (runs("load")) {
			waitingLoad(postgres);
		}
		if (runs("single")) {
			// a start varies by a second or more here: one pair says little
			singleStarts(this.pairs);
		}
		if (runs("big")) {
			bigChangelog(postgres);
		}
	}

	private boolean runs(String section) {
		return this.only.isEmpty() || this.only.contains(section);
	}

	// the apps take turns at each size, so that all of them meet the same machine
	private void fleetStarts(List<Integer> sizes) throws Exception {
		Map<String, Map<Integer, FleetRun>> runs = new LinkedHashMap<>();
		for (int size : sizes) {
			for (App app : this.apps) {
				FleetRun run = fleetStart(app, size);
				runs.computeIfAbsent(app.name(), (name) -> new LinkedHashMap<>()).put(size, run);
				System.out.println(run);
			}
		}
		this.report.fleetStarts(runs, FLEET_SLOW_SECONDS, this.cpuLimit != null);
	}

	private FleetRun fleetStart(App app, int size) throws Exception {
		String url = this.database.createDatabase();
		try (AppFleet fleet = AppFleet.start(app, size, url, this.database,
				Map.of("SAMPLE_SLOW_SECONDS", Integer.toString(FLEET_SLOW_SECONDS)),
				this.out.resolve("logs/fleet-" + size), this.cpuLimit)) {
			// at a few per cent of a core, an instance started again after a crash needs minutes
			Map<Member, Long> ready = fleet.awaitReady(Duration.ofMinutes(10), Set.of(), true);
			Long commit = this.database.lastChangesetCommit(url);
			long rows = this.database.auditRows(url);
			List<Double> handOffs = new ArrayList<>();
			List<Long> leadersReady = new ArrayList<>();
			if (app.isSchemagate() && commit != null) {
				for (Map.Entry<Member, Long> member : ready.entrySet()) {
					Optional<Long> decided = member.getKey().loggedAt(DECIDED);
					decided.ifPresent((at) -> handOffs.add((at - commit) / 1000.0));
					if (decided.isEmpty()) {
						leadersReady.add(member.getValue());
					}
				}
			}
			Collections.sort(handOffs);
			Long lastReady = (ready.size() == size) ? Collections.max(ready.values()) : null;
			// the instance that migrated is this run's own N = 1: what the fleet adds, without the
			// spread between runs
			Double lastOverLeader = (size > 1 && lastReady != null && leadersReady.size() == 1)
					? (lastReady - leadersReady.get(0)) / 1000.0 : null;
			Double allReady = (lastReady != null) ? (lastReady - fleet.startedAt()) / 1000.0 : null;
			Double lag = (lastReady != null && commit != null) ? (lastReady - commit) / 1000.0 : null;
			return new FleetRun(app.name(), size, ready.size(), fleet.restarts(), allReady, lag, handOffs,
					lastOverLeader, fleet.cpuAtReady(), rows);
		}
	}

	private void takeovers(List<String> signals) throws Exception {
		List<Takeover> takeovers = new ArrayList<>();
		Duration bound = Duration.ofSeconds(25);
		for (String signal : signals) {
			for (App app : this.apps) {
				if ("STOP".equals(signal) && App.PLAIN.equals(app.name())) {
					// its lock row stays while the leader lives, as it stays after a kill
					continue;
				}
				Takeover takeover = takeover(app, signal, bound);
				takeovers.add(takeover);
				System.out.println(takeover);
			}
		}
		this.report.takeovers(takeovers, FAULT_INSTANCES, FAULT_SLOW_SECONDS, bound);
	}

	// the instance running the slow changeset is killed or frozen in it
	private Takeover takeover(App app, String signal, Duration bound) throws Exception {
		String url = this.database.createDatabase();
		try (AppFleet fleet = AppFleet.start(app, FAULT_INSTANCES, url, this.database,
				Map.of("SAMPLE_SLOW_SECONDS", Integer.toString(FAULT_SLOW_SECONDS)),
				this.out.resolve("logs/takeover-" + signal.toLowerCase(Locale.ROOT)), this.cpuLimit)) {
			long[] session = awaitSlowChangeset(url, -1, Duration.ofMinutes(3));
			if (session == null) {
				throw new IllegalStateException("No instance of " + app.name() + " ran the slow changeset");
			}
			Member leader = fleet.byClientPort((int) session[1])
				.orElseThrow(() -> new IllegalStateException("No instance owns the session running the changeset"));
			long faultAt = System.currentTimeMillis();
			AppFleet.signal(leader, signal);
			long[] next = awaitSlowChangeset(url, session[0], bound);
			Double restarted = (next != null) ? (System.currentTimeMillis() - faultAt) / 1000.0 : null;
			long remaining = Math.max(1000, bound.toMillis() - (System.currentTimeMillis() - faultAt));
			Map<Member, Long> ready = fleet.awaitReady(Duration.ofMillis(remaining), Set.of(leader), false);
			long exited = fleet.members().stream().filter((m) -> m != leader && !m.process().isAlive()).count();
			Double survivorsReady = (ready.size() == FAULT_INSTANCES - 1) ? (Collections.max(ready.values()) - faultAt) / 1000.0 : null;
			return new Takeover(app.name(), signal, restarted, survivorsReady, ready.size(), (int) exited,
					this.database.auditRows(url));
		}
	}

	// the session running the slow changeset, other than the one given: {id, client port}
	private long[] awaitSlowChangeset(String url, long otherThan, Duration timeout) throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			long[] session = this.database.slowChangesetSession(url, otherThan);
			if (session != null) {
				return session;
			}
			Thread.sleep(100);
		}
		return null;
	}

	// 100, 1,000 and 5,000 waiters through PgBouncer, 100 and 1,000 through a plain pool
	private void waitingLoad(Postgres postgres) throws Exception {
		List<WaitingLoad.Result> results = new ArrayList<>();
		List<Integer> sizes = this.quick ? List.of(100, 1000) : List.of(100, 1000, 5000);
		for (int waiters : sizes) {
			if (waiters <= 1000) {
				results.add(waitingLoad(postgres, waiters, WaitingLoad.Route.POOL));
			}
			if (TestPgBouncer.available()) {
				results.add(waitingLoad(postgres, waiters, WaitingLoad.Route.PGBOUNCER));
			}
		}
		if (!TestPgBouncer.available()) {
			this.report.note("PgBouncer is not installed here: the waiting load through it was not measured.");
		}
		this.report.waitingLoad(results);
	}

	private WaitingLoad.Result waitingLoad(Postgres postgres, int waiters, WaitingLoad.Route route) throws Exception {
		WaitingLoad.Result result = new WaitingLoad(postgres).measure(waiters, route);
		System.out.println(result);
		return result;
	}

	// on a migrated database, one instance at a time, the two apps taking turns
	private void singleStarts(int rounds) throws Exception {
		String url = this.database.createDatabase();
		App schemagate = this.apps.get(0);
		App plain = this.apps.get(1);
		startOne(schemagate, url, Map.of(), "migrate");
		Map<String, List<SingleStart>> starts = alternate(List.of(schemagate, plain), url, Map.of(), rounds, "round");
		System.out.println("single starts " + starts);
		this.report.singleStarts(starts);
	}

	// rounds of one start of each app in turn, each on the same migrated database
	private Map<String, List<SingleStart>> alternate(List<App> apps, String url, Map<String, String> environment,
			int rounds, String name) throws Exception {
		Map<String, List<SingleStart>> starts = new LinkedHashMap<>();
		for (int round = 0; round < rounds; round++) {
			for (App app : apps) {
				starts.computeIfAbsent(app.name(), (key) -> new ArrayList<>())
					.add(startOne(app, url, environment, name + "-" + round));
			}
		}
		return starts;
	}

	private SingleStart startOne(App app, String url, Map<String, String> environment, String name) throws Exception {
		try (AppFleet fleet = AppFleet.start(app, 1, url, this.database, environment,
				this.out.resolve("logs/single-" + name), this.cpuLimit)) {
			Map<Member, Long> ready = fleet.awaitReady(Duration.ofMinutes(10), Set.of(), false);
			if (ready.isEmpty()) {
				throw new IllegalStateException(app.name() + " did not start; see " + fleet.members().get(0).log());
			}
			double seconds = (ready.values().iterator().next() - fleet.startedAt()) / 1000.0;
			return new SingleStart(seconds, fleet.cpuAtReady().isEmpty() ? null : fleet.cpuAtReady().get(0));
		}
	}

	/**
	 * One instance's start.
	 *
	 * @param seconds launch to readiness
	 * @param cpuSeconds processor time it had used when ready, null where it could not be read
	 */
	record SingleStart(double seconds, Double cpuSeconds) {
	}

	// A changelog of 2,000 changesets: a fleet on a database ten behind, then single starts on
	// the migrated one. The database behind is migrated once and copied for each app.
	private void bigChangelog(Postgres postgres) throws Exception {
		BigChangelog changelog = BigChangelog.write(this.out.resolve("big"));
		App schemagate = this.apps.get(0);
		App plain = this.apps.get(1);
		String template = postgres.createDatabase();
		long migrating = System.nanoTime();
		SingleStart behind = startOne(schemagate, template,
				Map.of("SPRING_LIQUIBASE_CHANGE_LOG", BigChangelog.location(changelog.behind())), "big-behind");
		System.out.printf(Locale.ROOT, "big changelog: %d changesets applied from empty in %.1f s%n",
				BigChangelog.CHANGESETS - BigChangelog.PENDING, (System.nanoTime() - migrating) / 1e9);
		Map<String, String> whole = Map.of("SPRING_LIQUIBASE_CHANGE_LOG", BigChangelog.location(changelog.whole()));
		int size = this.quick ? 4 : 12;
		List<FleetRun> fleets = new ArrayList<>();
		String migrated = null;
		for (App app : List.of(schemagate, plain)) {
			String url = postgres.copyDatabase(template);
			try (AppFleet fleet = AppFleet.start(app, size, url, this.database, whole,
					this.out.resolve("logs/big-fleet"), this.cpuLimit)) {
				Map<Member, Long> ready = fleet.awaitReady(Duration.ofMinutes(10), Set.of(), true);
				Long commit = postgres.lastChangesetExecuted(url);
				Double allReady = (ready.size() == size)
						? (Collections.max(ready.values()) - fleet.startedAt()) / 1000.0 : null;
				Double lag = (ready.size() == size && commit != null)
						? (Collections.max(ready.values()) - commit) / 1000.0 : null;
				FleetRun run = new FleetRun(app.name(), size, ready.size(), fleet.restarts(), allReady, lag, List.of(),
						null, fleet.cpuAtReady(), postgres.bigAuditRows(url));
				System.out.println(run);
				fleets.add(run);
			}
			migrated = url;
		}
		Map<String, List<SingleStart>> starts = alternate(List.of(schemagate, plain), migrated, whole,
				Math.max(1, this.pairs / 2), "big");
		System.out.println("big changelog single starts " + starts);
		this.report.bigChangelog(BigChangelog.CHANGESETS, BigChangelog.PENDING, changelog.auditRows(), behind, fleets,
				starts);
	}

	/**
	 * One fleet start on an empty database.
	 *
	 * @param app the app
	 * @param size how many JVMs
	 * @param ready how many were ready in the end
	 * @param restarts how often an instance that exited was started again
	 * @param allReady from the first launch until the last was ready, in seconds
	 * @param lag from the last changeset's commit until the last was ready, in seconds
	 * @param handOffs from that commit until each waiter decided to start, in seconds
	 * @param lastOverLeader from the instance that migrated being ready until the last was, in
	 * seconds, when one instance of several did
	 * @param cpuSeconds processor time each instance had used when ready
	 * @param auditRows rows inserted by the non-idempotent changesets, 3 when each ran once
	 */
	record FleetRun(String app, int size, int ready, int restarts, Double allReady, Double lag, List<Double> handOffs,
			Double lastOverLeader, List<Double> cpuSeconds, long auditRows) {
	}

	/**
	 * A leader killed or frozen in its slow changeset.
	 *
	 * @param app the app
	 * @param signal KILL or STOP
	 * @param restarted from the signal until another instance ran the changeset, in seconds
	 * @param survivorsReady from the signal until all the others were ready, in seconds
	 * @param ready how many of the others were ready in time
	 * @param exited how many of the others exited
	 * @param auditRows rows inserted by the non-idempotent changesets, 3 when each ran once
	 */
	record Takeover(String app, String signal, Double restarted, Double survivorsReady, int ready, int exited,
			long auditRows) {
	}

}
