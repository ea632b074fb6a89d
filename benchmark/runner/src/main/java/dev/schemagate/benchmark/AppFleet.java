package dev.schemagate.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import dev.schemagate.launcher.AppProcess;

/**
 * JVMs of one packaged app started at once on one database, watched from outside: when each
 * turned ready, and which one runs a given database session.
 * <p>
 * An instance is ready when its readiness probe answers {@code UP}; it turned ready when it
 * logged its readiness state's change to {@code ACCEPTING_TRAFFIC}. No probe is sent before
 * that line: at a few per cent of a core, answering probes while it starts costs an instance
 * more than the seconds being measured, and a probe period adds its own resolution.
 */
final class AppFleet implements AutoCloseable {

	// ApplicationAvailabilityBean's debug line, which every Spring Boot app writes alike
	private static final String READINESS_LOGGER = "org.springframework.boot.availability";

	private static final String READINESS_CHANGED = "ReadinessState changed";

	private final List<Member> members = new ArrayList<>();

	private int restarts;

	private final Map<Integer, Double> cpuAtReady = new java.util.LinkedHashMap<>();

	private AppFleet() {
	}

	static AppFleet start(App app, int size, String databaseUrl, BenchmarkDatabase database,
			Map<String, String> environment, Path logs) throws IOException {
		return start(app, size, databaseUrl, database, environment, logs, null);
	}

	/**
	 * Starts the fleet, each instance in a CPU cgroup of its own when a limit is given.
	 */
	static AppFleet start(App app, int size, String databaseUrl, BenchmarkDatabase database,
			Map<String, String> environment, Path logs, CpuLimit cpuLimit) throws IOException {
		AppFleet fleet = new AppFleet();
		for (int i = 0; i < size; i++) {
			Map<String, String> instanceEnvironment = new LinkedHashMap<>(Map.of("SAMPLE_DB_URL", databaseUrl,
					"SAMPLE_DB_USERNAME", database.username(), "SAMPLE_DB_PASSWORD", database.password(),
					"SAMPLE_DB_POOL_SIZE", "3"));
			instanceEnvironment.putAll(environment);
			AppProcess.Spec spec = AppProcess.of(app.jar(), logs.resolve(app.name() + "-" + i + ".log"))
				.environment(instanceEnvironment)
				.properties(database.appProperties(app))
				.properties(Map.of("logging.level." + READINESS_LOGGER, "debug"));
			if (cpuLimit != null) {
				spec = spec.launchedBy(cpuLimit.launcher("instance-" + i), "localhost");
			}
			AppProcess instance = spec.start();
			fleet.members.add(new Member(i, instance));
		}
		return fleet;
	}

	List<Member> members() {
		return this.members;
	}

	long startedAt() {
		return this.members.get(0).startedAt();
	}

	/**
	 * Watches every instance's log until each alive one but those left out logged that it
	 * accepts traffic and its readiness probe confirms it, or until the timeout.
	 * @param timeout how long to wait
	 * @param leftOut instances not waited for
	 * @param restartExited whether to start an instance that exited again, as an orchestrator
	 * restarts a crashed container
	 * @return when each ready instance turned ready, in epoch milliseconds
	 */
	Map<Member, Long> awaitReady(Duration timeout, Set<Member> leftOut, boolean restartExited)
			throws InterruptedException, IOException {
		Map<Integer, Long> ready = new java.util.LinkedHashMap<>();
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			boolean waiting = false;
			for (int i = 0; i < this.members.size(); i++) {
				Member member = this.members.get(i);
				if (leftOut.contains(member) || ready.containsKey(i)) {
					continue;
				}
				if (!member.process().isAlive()) {
					if (!restartExited) {
						continue;
					}
					this.restarts++;
					member = new Member(i, member.app().restart(), member.startedAt());
					this.members.set(i, member);
				}
				if (member.loggedReadyAt().isEmpty()) {
					waiting = true;
					continue;
				}
				// read before the probe, whose first answer costs the instance its servlet's start
				Optional<Double> cpu = cpuSeconds(member.process().pid());
				if (!member.isReady()) {
					waiting = true;
					continue;
				}
				// read again after the probe: a restarted instance's log holds its earlier life too
				ready.put(i, member.loggedReadyAt().orElseThrow());
				int index = i;
				cpu.ifPresent((seconds) -> this.cpuAtReady.put(index, seconds));
			}
			if (!waiting) {
				break;
			}
			Thread.sleep(100);
		}
		Map<Member, Long> byMember = new java.util.LinkedHashMap<>();
		ready.forEach((index, at) -> byMember.put(this.members.get(index), at));
		return byMember;
	}

	/**
	 * Returns the processor time each ready instance had used when it was seen to have turned
	 * ready, before the first probe it answered, restarts not included.
	 * @return processor seconds, user and system, of each ready instance
	 */
	List<Double> cpuAtReady() {
		return new ArrayList<>(this.cpuAtReady.values());
	}

	// utime and stime of /proc/<pid>/stat, in clock ticks of 1/100 s
	private static Optional<Double> cpuSeconds(long pid) {
		try {
			String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
			String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
			return Optional.of((Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0);
		}
		catch (IOException | RuntimeException ex) {
			return Optional.empty();
		}
	}

	/**
	 * Returns how often an exited instance was started again.
	 * @return the number of restarts
	 */
	int restarts() {
		return this.restarts;
	}

	/**
	 * Finds the instance that owns the client end of a database session.
	 * @param clientPort the session's {@code client_port}
	 * @return the instance, if one of this fleet has that socket open
	 */
	Optional<Member> byClientPort(int clientPort) throws IOException {
		String port = String.format(":%04X", clientPort);
		Set<String> sockets = new HashSet<>();
		for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
			Path path = Path.of(table);
			if (!Files.exists(path)) {
				continue;
			}
			for (String line : Files.readAllLines(path)) {
				String[] fields = line.trim().split("\\s+");
				if (fields.length > 9 && fields[1].endsWith(port)) {
					sockets.add("socket:[" + fields[9] + "]");
				}
			}
		}
		for (Member member : this.members) {
			try (Stream<Path> descriptors = Files.list(Path.of("/proc", Long.toString(member.process().pid()), "fd"))) {
				if (descriptors.anyMatch((descriptor) -> sockets.contains(link(descriptor)))) {
					return Optional.of(member);
				}
			}
			catch (IOException ex) {
				// the process has exited
			}
		}
		return Optional.empty();
	}

	private static String link(Path descriptor) {
		try {
			return Files.readSymbolicLink(descriptor).toString();
		}
		catch (IOException ex) {
			return "";
		}
	}

	static void signal(Member member, String signal) {
		member.app().signal(signal);
	}

	@Override
	public void close() throws InterruptedException {
		for (Member member : this.members) {
			member.app().destroy();
		}
	}

	/**
	 * One JVM of the fleet.
	 *
	 * @param index its number in the fleet
	 * @param app its JVM, as last started
	 * @param startedAt when it was first started, in epoch milliseconds
	 */
	record Member(int index, AppProcess app, long startedAt) {

		Member(int index, AppProcess app) {
			this(index, app, app.startedAtMillis());
		}

		Process process() {
			return this.app.process();
		}

		Path log() {
			return this.app.log();
		}

		boolean isReady() {
			return this.app.isReady();
		}

		/**
		 * When the instance logged a line containing the text, in epoch milliseconds: Spring
		 * Boot's log lines start with an ISO-8601 time.
		 */
		Optional<Long> loggedAt(String text) throws IOException {
			try (Stream<String> lines = Files.lines(log())) {
				return lines.filter((line) -> line.contains(text)).findFirst().map(Member::time);
			}
		}

		/**
		 * When the instance last logged that its readiness changed to accepting traffic, if
		 * it has not logged a change away from it since.
		 */
		Optional<Long> loggedReadyAt() throws IOException {
			try (Stream<String> lines = Files.lines(log())) {
				return lines.filter((line) -> line.contains(READINESS_CHANGED))
					.reduce((first, second) -> second)
					.filter((line) -> line.contains(" to ACCEPTING_TRAFFIC"))
					.map(Member::time);
			}
		}

		private static long time(String line) {
			return OffsetDateTime.parse(line.substring(0, line.indexOf(' '))).toInstant().toEpochMilli();
		}

	}

}
