package dev.schemagate.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.schemagate.embedded.ServerFiles;

/**
 * One instance of a packaged Spring Boot application, started as a JVM of its own and watched
 * from outside, as an orchestrator watches a container: over its HTTP port and its signals.
 * The fleet tests, the benchmark and the demo launch their instances with it, so that each
 * runs the same JVM the same way.
 */
public final class AppProcess {

	/**
	 * The JVM options of every instance: a quick start on few cores and a small heap, so that
	 * a dozen fit on one machine, and no call home from Liquibase.
	 */
	public static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
			"-Xmx256m", "-Dliquibase.analytics.enabled=false");

	private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

	private final Spec spec;

	private final Process process;

	private final long startedNanos;

	private final long startedAtMillis;

	private AppProcess(Spec spec, Process process) {
		this.spec = spec;
		this.process = process;
		this.startedNanos = System.nanoTime();
		this.startedAtMillis = System.currentTimeMillis();
	}

	/**
	 * Describes an instance of an application's jar.
	 * @param jar the application's executable jar
	 * @param log where the instance's output goes
	 * @return the description, with a free port and no arguments
	 */
	public static Spec of(Path jar, Path log) {
		return new Spec(jar, log, freePort(), "localhost", List.of(), List.of(), Map.of(), false);
	}

	/**
	 * Returns the instance's process.
	 * @return the process
	 */
	public Process process() {
		return this.process;
	}

	/**
	 * Returns the process id of the instance, or of what launched it.
	 * @return the pid
	 */
	public long pid() {
		return this.process.pid();
	}

	/**
	 * Returns the instance's HTTP port.
	 * @return the port
	 */
	public int port() {
		return this.spec.port();
	}

	/**
	 * Returns where the instance's HTTP port is reached from this JVM.
	 * @return the host
	 */
	public String host() {
		return this.spec.host();
	}

	/**
	 * Returns where the instance's output goes.
	 * @return the log file
	 */
	public Path log() {
		return this.spec.log();
	}

	/**
	 * Returns when the instance was started, on this JVM's monotonic clock.
	 * @return {@link System#nanoTime()} at its start
	 */
	public long startedNanos() {
		return this.startedNanos;
	}

	/**
	 * Returns when the instance was started, on the wall clock.
	 * @return epoch milliseconds at its start
	 */
	public long startedAtMillis() {
		return this.startedAtMillis;
	}

	/**
	 * Returns how long ago the instance was started.
	 * @return its age
	 */
	public Duration age() {
		return Duration.ofNanos(System.nanoTime() - this.startedNanos);
	}

	/**
	 * Tells whether the instance is alive.
	 * @return whether its process runs
	 */
	public boolean isAlive() {
		return this.process.isAlive();
	}

	/**
	 * Tells whether the instance reports readiness, as a load balancer asks it.
	 * @return whether {@code /actuator/health/readiness} answers 200 and {@code UP}
	 */
	public boolean isReady() {
		return get("/actuator/health/readiness").map((body) -> body.contains("\"UP\"")).orElse(false);
	}

	/**
	 * Reads a path of the instance's HTTP port.
	 * @param path the path, such as {@code /actuator/schemagate}
	 * @return the body of a 200 answer, empty for another answer or none
	 */
	public Optional<String> get(String path) {
		try {
			HttpResponse<String> response = http.send(
					HttpRequest.newBuilder(URI.create("http://" + host() + ":" + port() + path))
						.timeout(Duration.ofSeconds(2))
						.build(),
					HttpResponse.BodyHandlers.ofString());
			return (response.statusCode() == 200) ? Optional.of(response.body()) : Optional.empty();
		}
		catch (IOException ex) {
			return Optional.empty();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return Optional.empty();
		}
	}

	/**
	 * Sends the instance a signal, as {@code kill} does.
	 * @param signal the signal's name, such as {@code KILL}, {@code STOP} or {@code TERM}
	 */
	public void signal(String signal) {
		try {
			new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).start().waitFor();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while sending " + signal + " to " + pid(), ex);
		}
	}

	/**
	 * Starts the instance again as it was started, on the same port, appending to its log, as
	 * an orchestrator restarts a crashed container.
	 * @return the new instance
	 * @throws IOException if the JVM cannot be started
	 */
	public AppProcess restart() throws IOException {
		return this.spec.appendingToLog().start();
	}

	/**
	 * Ends the instance at once, thawing it first if it was stopped, and waits for its end.
	 * @throws InterruptedException if interrupted while waiting
	 */
	public void destroy() throws InterruptedException {
		if (this.process.isAlive()) {
			signal("CONT");
			this.process.destroyForcibly();
		}
		this.process.waitFor();
	}

	/**
	 * Returns a port nobody listens on now, outside the range the kernel gives outgoing
	 * connections.
	 * @return the port
	 */
	public static int freePort() {
		return ServerFiles.freePort();
	}

	/**
	 * How to start an instance.
	 *
	 * @param jar the application's executable jar
	 * @param log where the instance's output goes
	 * @param port the instance's HTTP port
	 * @param host where that port is reached from this JVM
	 * @param launcher the command that runs the JVM's command line (such as {@code ip netns
	 * exec}), empty for none
	 * @param arguments the application's arguments
	 * @param environment what the instance's environment adds
	 * @param appendToLog whether to append to the log rather than start it anew
	 */
	public record Spec(Path jar, Path log, int port, String host, List<String> launcher, List<String> arguments,
			Map<String, String> environment, boolean appendToLog) {

		/**
		 * Returns the same instance on another port.
		 * @param port the port
		 * @return the description
		 */
		public Spec port(int port) {
			return new Spec(this.jar, this.log, port, this.host, this.launcher, this.arguments, this.environment,
					this.appendToLog);
		}

		/**
		 * Returns the same instance run through a launcher, reached on another host.
		 * @param launcher the command that runs the JVM's command line
		 * @param host where the instance's port is reached from this JVM
		 * @return the description
		 */
		public Spec launchedBy(List<String> launcher, String host) {
			return new Spec(this.jar, this.log, this.port, host, List.copyOf(launcher), this.arguments,
					this.environment, this.appendToLog);
		}

		/**
		 * Returns the same instance with more arguments.
		 * @param arguments the arguments to add
		 * @return the description
		 */
		public Spec arguments(List<String> arguments) {
			List<String> all = new ArrayList<>(this.arguments);
			all.addAll(arguments);
			return new Spec(this.jar, this.log, this.port, this.host, this.launcher, List.copyOf(all),
					this.environment, this.appendToLog);
		}

		/**
		 * Returns the same instance with application properties added as arguments.
		 * @param properties the properties
		 * @return the description
		 */
		public Spec properties(Map<String, String> properties) {
			List<String> arguments = new ArrayList<>();
			properties.forEach((key, value) -> arguments.add("--" + key + "=" + value));
			return arguments(arguments);
		}

		/**
		 * Returns the same instance with more environment variables.
		 * @param environment the variables to add
		 * @return the description
		 */
		public Spec environment(Map<String, String> environment) {
			Map<String, String> all = new LinkedHashMap<>(this.environment);
			all.putAll(environment);
			return new Spec(this.jar, this.log, this.port, this.host, this.launcher, this.arguments, Map.copyOf(all),
					this.appendToLog);
		}

		/**
		 * Returns the same instance, appending to its log.
		 * @return the description
		 */
		public Spec appendingToLog() {
			return new Spec(this.jar, this.log, this.port, this.host, this.launcher, this.arguments, this.environment,
					true);
		}

		/**
		 * Starts the instance.
		 * @return the running instance
		 * @throws IOException if the JVM cannot be started
		 */
		public AppProcess start() throws IOException {
			if (!Files.isRegularFile(this.jar)) {
				throw new IllegalStateException("The application's jar " + this.jar + " is missing: package it first "
						+ "(mvn package, or mvn verify for the tests)");
			}
			List<String> command = new ArrayList<>(this.launcher);
			command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
			command.addAll(JVM_OPTIONS);
			command.addAll(List.of("-jar", this.jar.toString(), "--server.port=" + this.port));
			command.addAll(this.arguments);
			Files.createDirectories(this.log.toAbsolutePath().getParent());
			ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(this.appendToLog ? ProcessBuilder.Redirect.appendTo(this.log.toFile())
						: ProcessBuilder.Redirect.to(this.log.toFile()));
			builder.environment().putAll(this.environment);
			return new AppProcess(this, builder.start());
		}

	}

}
