import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The schemagate demo, run from the repository's root with nothing but a JDK and Maven:
 * {@code java sample-app/Demo.java [options]} ({@code --help} lists them). It builds the
 * sample app when its jar is missing or older than the sources, showing the build's
 * progress, then runs {@code dev.schemagate.demo.FleetDemo}: an embedded PostgreSQL and a
 * fleet of the sample app started at once.
 */
public class Demo {

	private static final Pattern MODULE = Pattern.compile("\\[INFO\\] Building (.+?) \\S+\\s+\\[(\\d+)/(\\d+)\\]");

	private static final List<String> SOURCES = List.of("pom.xml", ".mvn", "embedded-postgres", "autoconfigure", "starter",
			"launcher", "sample-app/pom.xml", "sample-app/src");

	public static void main(String[] args) throws Exception {
		Path root = Path.of("").toAbsolutePath();
		while (root != null && !Files.isRegularFile(root.resolve("sample-app").resolve("pom.xml"))) {
			root = root.getParent();
		}
		if (root == null) {
			fail("Run the demo from the schemagate repository: java sample-app/Demo.java");
		}
		Path target = root.resolve("sample-app").resolve("target");
		Path jar = target.resolve("schemagate-sample-app.jar");
		Path classpath = target.resolve("demo-classpath.txt");
		if (isStale(root, jar) || !Files.isRegularFile(classpath)) {
			build(root);
		}
		List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-cp", target.resolve("classes") + java.io.File.pathSeparator + Files.readString(classpath).strip(),
				"dev.schemagate.demo.FleetDemo"));
		command.addAll(List.of(args));
		Process demo = new ProcessBuilder(command).directory(root.toFile()).inheritIO().start();
		// on Ctrl-C or a SIGTERM to this launcher, the demo stops the fleet and the database
		Runtime.getRuntime().addShutdownHook(new Thread(() -> {
			demo.destroy();
			try {
				demo.waitFor(60, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}));
		System.exit(demo.waitFor());
	}

	private static boolean isStale(Path root, Path jar) throws IOException {
		if (!Files.isRegularFile(jar)) {
			return true;
		}
		FileTime built = Files.getLastModifiedTime(jar);
		for (String source : SOURCES) {
			Path path = root.resolve(source);
			if (!Files.exists(path)) {
				continue;
			}
			try (Stream<Path> files = Files.walk(path)) {
				boolean newer = files.filter((file) -> !file.toString().contains("/target/"))
					.filter(Files::isRegularFile)
					.anyMatch((file) -> {
						try {
							return Files.getLastModifiedTime(file).compareTo(built) > 0;
						}
						catch (IOException ex) {
							return true;
						}
					});
				if (newer) {
					return true;
				}
			}
		}
		return false;
	}

	/**
	 * Builds the sample and what it needs, one progress line a second: the module, how many
	 * artifacts Maven downloaded (the first build fetches them all) and the time so far.
	 */
	private static void build(Path root) throws Exception {
		String mvn = System.getProperty("os.name").toLowerCase().contains("windows") ? "mvn.cmd" : "mvn";
		Path log = Files.createTempFile("schemagate-demo-build", ".log");
		Process build;
		try {
			// the tests are neither compiled nor their servers fetched: the demo runs none
			build = new ProcessBuilder(mvn, "-B", "-Dmaven.test.skip=true", "package", "-pl", "sample-app", "-am")
				.directory(root.toFile())
				.redirectErrorStream(true)
				.start();
		}
		catch (IOException ex) {
			fail("The demo builds the sample app with Maven, which is not on the PATH: install it "
					+ "(https://maven.apache.org/install.html) and run the demo again");
			return;
		}
		boolean terminal = System.console() != null;
		long start = System.nanoTime();
		AtomicReference<String> module = new AtomicReference<>("resolving the build");
		AtomicInteger downloads = new AtomicInteger();
		Deque<String> tail = new ArrayDeque<>();
		Thread reader = new Thread(() -> {
			try (BufferedReader lines = new BufferedReader(
					new InputStreamReader(build.getInputStream(), StandardCharsets.UTF_8))) {
				String line;
				while ((line = lines.readLine()) != null) {
					Files.writeString(log, line + "\n", java.nio.file.StandardOpenOption.APPEND);
					Matcher matcher = MODULE.matcher(line);
					if (matcher.find()) {
						module.set("(" + matcher.group(2) + "/" + matcher.group(3) + ") " + matcher.group(1));
					}
					if (line.startsWith("Downloaded from") || line.contains("] Downloaded from")) {
						downloads.incrementAndGet();
					}
					synchronized (tail) {
						tail.addLast(line);
						if (tail.size() > 40) {
							tail.removeFirst();
						}
					}
				}
			}
			catch (IOException ex) {
				// the build's own exit code tells
			}
		});
		reader.start();
		System.out.println("Building the sample app (first time: Maven downloads the dependencies)");
		String shown = "";
		long lastLine = 0;
		while (!build.waitFor(1, TimeUnit.SECONDS)) {
			long seconds = (System.nanoTime() - start) / 1_000_000_000L;
			String status = String.format("  building %s: %d artifacts downloaded, %d s", module.get(), downloads.get(),
					seconds);
			if (terminal) {
				System.out.print("\r\033[2K" + status);
				System.out.flush();
			}
			else if (!module.get().equals(shown) || seconds - lastLine >= 10) {
				System.out.println(status);
				shown = module.get();
				lastLine = seconds;
			}
		}
		reader.join();
		if (terminal) {
			System.out.print("\r\033[2K");
		}
		if (build.exitValue() != 0) {
			synchronized (tail) {
				tail.forEach(System.err::println);
			}
			fail("The build failed (full output: " + log + ")");
		}
		System.out.printf("  built in %d s%n", (System.nanoTime() - start) / 1_000_000_000L);
		Files.deleteIfExists(log);
	}

	private static void fail(String message) {
		System.err.println(message);
		System.exit(1);
	}

}
