package dev.schemagate.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests that every property is in the generated configuration metadata, documented.
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

}
