package dev.schemagate.sample.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's first command, {@code java sample-app/Demo.java}, run as a user runs it, on
 * the jar this build packaged and an embedded PostgreSQL: it must end by itself with exit
 * code 0 and the proof that every changeset ran once.
 */
class DemoIT {

	@Test
	void demoWithAKilledLeaderAndARollingDeployEndsWithEveryChangesetRunOnce() throws Exception {
		Result result = demo("killed-leader", "--instances", "3", "--slow", "5", "--kill-leader", "--rolling");
		assertThat(result.exitCode()).as(result.output()).isZero();
		assertThat(result.output()).contains("killed (SIGKILL) in changeset 003-slow-backfill")
			.contains("started in its place")
			.contains("rolling deploy of version 2")
			.contains("006-v2-backfill")
			.contains("{seed=1, slow=1, after-index=1, v2=1}")
			.contains("each ran once");
	}

	@Test
	void demoWithAFrozenLeaderEndsWithEveryInstanceReady() throws Exception {
		Result result = demo("frozen-leader", "--instances", "3", "--slow", "5", "--freeze-leader");
		assertThat(result.exitCode()).as(result.output()).isZero();
		assertThat(result.output()).contains("frozen (SIGSTOP) in changeset 003-slow-backfill")
			.contains("resumed (SIGCONT)")
			.contains("{seed=1, slow=1, after-index=1}")
			.contains("each ran once");
	}

	@Test
	void unknownOptionIsRefusedWithTheUsage() throws Exception {
		Result result = demo("unknown-option", "--instancez", "3");
		assertThat(result.exitCode()).isEqualTo(2);
		assertThat(result.output()).contains("Unknown option: --instancez").contains("--kill-leader");
	}

	private Result demo(String name, String... options) throws IOException, InterruptedException {
		Path root = Path.of("").toAbsolutePath().getParent();
		Path output = Path.of("target", "demo-runs", name + ".log").toAbsolutePath();
		Files.createDirectories(output.getParent());
		List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"sample-app/Demo.java"));
		command.addAll(List.of(options));
		Process process = new ProcessBuilder(command).directory(root.toFile())
			.redirectErrorStream(true)
			.redirectOutput(output.toFile())
			.start();
		if (!process.waitFor(5, TimeUnit.MINUTES)) {
			process.destroy();
			process.waitFor(30, TimeUnit.SECONDS);
			process.destroyForcibly();
			throw new AssertionError("The demo did not end within 5 minutes:\n" + Files.readString(output));
		}
		return new Result(process.exitValue(), Files.readString(output));
	}

	private record Result(int exitCode, String output) {
	}

}
