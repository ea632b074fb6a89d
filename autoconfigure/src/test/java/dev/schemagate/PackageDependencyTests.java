package dev.schemagate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests that the imports between schemagate's packages run one way, as
 * {@code docs/how-it-works.md} maps them: the gate knows none of the others, the fleet and
 * each database only the gate, and only the auto-configuration knows Spring Boot.
 */
class PackageDependencyTests {

	private static final Path SOURCES = Path.of("src/main/java/dev/schemagate");

	private static final Pattern IMPORT = Pattern
		.compile("^import (?:static )?dev\\.schemagate\\.([a-z]+)\\.", Pattern.MULTILINE);

	// what each package may import of schemagate's own packages
	private static final Map<String, Set<String>> ALLOWED = Map.of("gate", Set.of(), "postgresql", Set.of("gate"),
			"fleet", Set.of("gate"), "contract", Set.of(), "check", Set.of("contract"), "liquibase",
			Set.of("gate", "fleet", "contract", "check"), "autoconfigure",
			Set.of("gate", "fleet", "contract", "check", "liquibase", "autoconfigure"));

	@Test
	void importsBetweenPackagesRunOneWay() throws IOException {
		Map<String, Set<String>> imports = imports();
		assertThat(imports.keySet()).containsExactlyInAnyOrderElementsOf(ALLOWED.keySet());
		imports.forEach((from, to) -> assertThat(to).as("what %s imports", from).isSubsetOf(ALLOWED.get(from)));
	}

	@Test
	void onlyTheAutoConfigurationKnowsSpringBoot() throws IOException {
		try (Stream<Path> files = Files.walk(SOURCES)) {
			assertThat(files.filter((file) -> file.toString().endsWith(".java"))
				.filter((file) -> !SOURCES.relativize(file).startsWith("autoconfigure"))
				.filter((file) -> read(file).contains("import org.springframework.boot.")))
				.isEmpty();
		}
	}

	// the top-level package of each source file, and the top-level packages of its imports
	private static Map<String, Set<String>> imports() throws IOException {
		Map<String, Set<String>> imports = new TreeMap<>();
		try (Stream<Path> files = Files.walk(SOURCES)) {
			files.filter((file) -> file.toString().endsWith(".java")).forEach((file) -> {
				String from = SOURCES.relativize(file).getName(0).toString();
				Set<String> to = imports.computeIfAbsent(from, (key) -> new TreeSet<>());
				Matcher matcher = IMPORT.matcher(read(file));
				while (matcher.find()) {
					if (!matcher.group(1).equals(from)) {
						to.add(matcher.group(1));
					}
				}
			});
		}
		return imports;
	}

	private static String read(Path file) {
		try {
			return Files.readString(file);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
