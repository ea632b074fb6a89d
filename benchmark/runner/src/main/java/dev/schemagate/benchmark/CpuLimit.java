package dev.schemagate.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A CPU limit of its own for every instance, as a pod's CPU limit gives it: a cgroup (v1
 * {@code cpu} controller) per instance with the same quota, which the JVM enters before it
 * starts, through a shell that writes its own pid to the group and then runs the JVM in its
 * place. Needs the controller mounted writable, as it is for root.
 */
final class CpuLimit implements AutoCloseable {

	private static final Path CONTROLLER = Path.of("/sys/fs/cgroup/cpu");

	private static final long PERIOD_MICROS = 100_000;

	private final double cores;

	private final String prefix = "schemagate-bench-" + ProcessHandle.current().pid() + "-";

	private final List<Path> groups = new ArrayList<>();

	private CpuLimit(double cores) {
		this.cores = cores;
	}

	/**
	 * Returns a limit of the given share of a core per instance, or {@code null} where
	 * cgroups cannot be written here (not root, or no v1 {@code cpu} controller), saying so.
	 * @param cores the share of one core each instance may use, such as 0.15
	 */
	static CpuLimit of(double cores) {
		if (!(cores > 0) || !Files.isWritable(CONTROLLER.resolve("cgroup.procs"))) {
			System.out.println("CPU limits: cgroups are not writable here (" + CONTROLLER
					+ " needs root and the v1 cpu controller): every instance runs uncapped");
			return null;
		}
		return new CpuLimit(cores);
	}

	double cores() {
		return this.cores;
	}

	String describe() {
		return String.format(Locale.ROOT, "%.0f %% of a core per instance (cfs_quota_us %d per %d)", this.cores * 100,
				quotaMicros(), PERIOD_MICROS);
	}

	/**
	 * Creates the group of one instance and returns the command prefix that starts a
	 * command line inside it.
	 * @param name the instance's name, unique within the run
	 */
	List<String> launcher(String name) throws IOException {
		Path group = CONTROLLER.resolve(this.prefix + name.replaceAll("[^A-Za-z0-9-]", "-"));
		if (!Files.isDirectory(group)) {
			Files.createDirectory(group);
			this.groups.add(group);
		}
		Files.writeString(group.resolve("cpu.cfs_period_us"), Long.toString(PERIOD_MICROS));
		Files.writeString(group.resolve("cpu.cfs_quota_us"), Long.toString(quotaMicros()));
		// the shell enters the group, then becomes the JVM: same pid, capped from its first instruction
		return List.of("sh", "-c", "echo $$ > \"$0\"/cgroup.procs && exec \"$@\"", group.toString());
	}

	private long quotaMicros() {
		return Math.max(1000, Math.round(this.cores * PERIOD_MICROS));
	}

	// a group can be removed once its processes have ended
	@Override
	public void close() {
		for (Path group : this.groups) {
			try {
				Files.deleteIfExists(group);
			}
			catch (IOException ex) {
				System.err.println("Could not remove the cgroup " + group + ": " + ex.getMessage());
			}
		}
		this.groups.clear();
	}

}
