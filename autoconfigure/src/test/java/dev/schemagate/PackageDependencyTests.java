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
 * {@code docs/how-it-works.md} maps them: what a gate tells ({@code status}) knows none of
 * the others, the database seam only it, each database the seam, the gate both, and only the
 * auto-configuration knows Spring Boot.
 */
class PackageDependencyTests {

	private static final Path SOURCES = Path.of("src/main/java/dev/schemagate");

	private static final Pattern IMPORT = Pattern
		.compile("^import (?:static )?dev\\.schemagate\\.([a-z]+)\\.", Pattern.MULTILINE);

	// what each package may import of schemagate's own packages
	private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(Map.entry("status", Set.of()),
			Map.entry("database", Set.of("status")), Map.entry("gate", Set.of("status", "database")),
			Map.entry("postgresql", Set.of("status", "database")), Map.entry("mariadb", Set.of("status", "database")),
			Map.entry("fleet", Set.of("database", "gate")), Map.entry("contract", Set.of()),
			Map.entry("check", Set.of("contract")),
			Map.entry("liquibase", Set.of("status", "database", "gate", "fleet", "contract", "check")),
			Map.entry("autoconfigure",
					Set.of("status", "database", "gate", "fleet", "contract", "check", "liquibase", "autoconfigure")));

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
