package dev.schemagate.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import dev.schemagate.launcher.AppProcess;

/**
 * One JVM of the sample app that the demo started.
 */
final class DemoInstance {

	final int number;

	final String version;

	final int port;

	final Path log;

	final Process process;

	final long startedNanos;

	private final AppProcess app;

	/** What the demo did to it: killed, frozen, stopped, or {@code null}. */
	volatile String fate;

	volatile Duration readyAfter;

	/** Whether it was seen waiting for the lock or holding it. */
	volatile boolean passedGate;

	/** What its {@code /actuator/schemagate} said once it was ready. */
	volatile String report;

	private DemoInstance(int number, String version, AppProcess app) {
		this.number = number;
		this.version = version;
		this.app = app;
		this.port = app.port();
		this.log = app.log();
		this.process = app.process();
		this.startedNanos = app.startedNanos();
	}

	static DemoInstance start(int number, String version, Path jar, Path logs, Map<String, String> environment,
			List<String> arguments, int port) throws IOException {
		AppProcess app = AppProcess.of(jar, logs.resolve("instance-" + number + ".log"))
			.port(port)
			.arguments(arguments)
			.environment(environment)
			.start();
		return new DemoInstance(number, version, app);
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
		return this.app.isReady();
	}

	Optional<String> get(String path) {
		return this.app.get(path);
	}

	void signal(String signal) {
		this.app.signal(signal);
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
