package dev.schemagate.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests that every property is in the generated configuration metadata, documented, and in
 * the configuration reference ({@code docs/configuration.md}).
 */
class ConfigurationMetadataTests {

	@Test
	void everyPropertyIsDocumentedInTheGeneratedMetadata() throws IOException {
		try (InputStream metadata = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
			List<Map<String, Object>> properties = JsonPath.read(metadata, "$.properties");
			assertThat(properties).extracting((property) -> property.get("name"))
				.contains("schemagate.enabled", "schemagate.table-prefix", "schemagate.lock.table-prefix",
						"schemagate.lock.region", "schemagate.lock.key", "schemagate.lock.time-to-live",
						"schemagate.lock.wait-timeout", "schemagate.retry.timeout",
						"schemagate.retry.initial-interval", "schemagate.retry.max-interval",
						"schemagate.readiness.check-interval", "management.health.schemagate.enabled");
			assertThat(properties).allSatisfy((property) -> assertThat((String) property.get("description"))
				.as("description of %s", property.get("name"))
				.isNotBlank()
				.endsWith("."));
		}
	}

	@Test
	void theReferenceListsEveryPropertyOfTheMetadataAndNoOther() throws IOException {
		Set<String> inMetadata;
		try (InputStream metadata = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
			List<String> names = JsonPath.read(metadata, "$.properties[*].name");
			inMetadata = new TreeSet<>(names);
		}
		Set<String> inReference = new TreeSet<>();
		Matcher row = Pattern.compile("(?m)^\\| `([a-z.-]+)` \\|").matcher(Files.readString(reference()));
		while (row.find()) {
			inReference.add(row.group(1));
		}
		assertThat(inMetadata).isNotEmpty();
		assertThat(inReference).as("properties in docs/configuration.md").containsExactlyInAnyOrderElementsOf(inMetadata);
	}

	private static Path reference() {
		// the module's directory, or compat/boot-4.1 when that runs these tests
		for (Path directory = Path.of("").toAbsolutePath(); directory != null; directory = directory.getParent()) {
			Path reference = directory.resolve("docs").resolve("configuration.md");
			if (Files.isRegularFile(reference)) {
				return reference;
			}
		}
		throw new IllegalStateException("docs/configuration.md not found above " + Path.of("").toAbsolutePath());
	}

}
