package dev.schemagate.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One JVM of the sample app that the demo started.
 */
final class DemoInstance {

	private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();

	final int number;

	final String version;

	final int port;

	final Path log;

	final Process process;

	final long startedNanos;

	/** What the demo did to it: killed, frozen, stopped, or {@code null}. */
	volatile String fate;

	volatile Duration readyAfter;

	/** Whether it was seen waiting for the lock or holding it. */
	volatile boolean passedGate;

	/** What its {@code /actuator/schemagate} said once it was ready. */
	volatile String report;

	private DemoInstance(int number, String version, int port, Path log, Process process) {
		this.number = number;
		this.version = version;
		this.port = port;
		this.log = log;
		this.process = process;
		this.startedNanos = System.nanoTime();
	}

	static DemoInstance start(int number, String version, Path jar, Path logs, Map<String, String> environment,
			List<String> arguments, int port) throws IOException {
		Path log = logs.resolve("instance-" + number + ".log");
		List<String> command = new ArrayList<>(List.of(
				Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
				"-XX:+UseSerialGC", "-Xmx256m", "-Dliquibase.analytics.enabled=false", "-jar", jar.toString(),
				"--server.port=" + port));
		command.addAll(arguments);
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
		builder.environment().putAll(environment);
		return new DemoInstance(number, version, port, log, builder.start());
	}

	long pid() {
		return this.process.pid();
	}

	String label() {
		return "#" + this.number;
	}

	Duration age() {
		return Duration.ofNanos(System.nanoTime() - this.startedNanos);
	}

	boolean isReady() {
		return get("/actuator/health/readiness").map((body) -> body.contains("\"UP\"")).orElse(false);
	}

	Optional<String> get(String path) {
		try {
			HttpResponse<String> response = http.send(HttpRequest
				.newBuilder(URI.create("http://localhost:" + this.port + path))
				.timeout(Duration.ofSeconds(2))
				.build(), HttpResponse.BodyHandlers.ofString());
			return (response.statusCode() == 200) ? Optional.of(response.body())
					: Optional.empty();
		}
		catch (IOException ex) {
			return Optional.empty();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return Optional.empty();
		}
	}

	void signal(String signal) {
		try {
			new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).start().waitFor();
		}
		catch (IOException ex) {
			throw new IllegalStateException("Could not send SIG" + signal + " to " + pid(), ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Stops it as an orchestrator does: SIGTERM, then SIGKILL if it lingers.
	 */
	void stop() {
		if (!this.process.isAlive()) {
			return;
		}
		signal("CONT");
		this.process.destroy();
		try {
			if (!this.process.waitFor(10, TimeUnit.SECONDS)) {
				this.process.destroyForcibly();
			}
		}
		catch (InterruptedException ex) {
			this.process.destroyForcibly();
			Thread.currentThread().interrupt();
		}
	}

}
