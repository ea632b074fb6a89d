package dev.schemagate.sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.jayway.jsonpath.JsonPath;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample app on a fresh database, read over HTTP as a load balancer and an operator
 * would: readiness, health details, the schemagate endpoint and the meters.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "schemagate.readiness.check-interval=300ms", "spring.datasource.hikari.maximum-pool-size=3" })
class SampleApplicationTests {

	private static final TestPostgres postgres = TestPostgres.get();

	private static final String url = postgres.createDatabase();

	private final HttpClient http = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@DynamicPropertySource
	static void database(DynamicPropertyRegistry registry) {
		registry.add("spring.datasource.url", () -> url);
		registry.add("spring.datasource.username", postgres::username);
		registry.add("spring.datasource.password", postgres::password);
	}

	@Test
	void readinessFollowsTheSchema() throws Exception {
		assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(200);
		postgres.executeIn(url, "CREATE TABLE removed_changeset AS SELECT * FROM databasechangelog WHERE id = '005-after-index'",
				"DELETE FROM databasechangelog WHERE id = '005-after-index'");
		try {
			HttpResponse<String> refused = awaitStatus("/actuator/health/readiness", 503);
			assertThat(JsonPath.<String>read(refused.body(), "$.status")).isEqualTo("OUT_OF_SERVICE");
			HttpResponse<String> health = get("/actuator/health");
			assertThat(JsonPath.<String>read(health.body(), "$.components.schemagate.details.liquibase.state"))
				.isEqualTo("SCHEMA_BEHIND");
		}
		finally {
			postgres.executeIn(url, "INSERT INTO databasechangelog SELECT * FROM removed_changeset", "DROP TABLE removed_changeset");
		}
		awaitStatus("/actuator/health/readiness", 200);
	}

	@Test
	void healthShowsTheSchemaUpToDate() throws Exception {
		HttpResponse<String> health = get("/actuator/health");
		assertThat(JsonPath.<String>read(health.body(), "$.components.schemagate.status")).isEqualTo("UP");
		String details = "$.components.schemagate.details.liquibase.";
		assertThat(JsonPath.<String>read(health.body(), details + "state")).isEqualTo("UP_TO_DATE");
		assertThat(JsonPath.<String>read(health.body(), details + "changelogLastChangeset")).isEqualTo("007-sender");
		assertThat(JsonPath.<String>read(health.body(), details + "databaseLastChangeset")).isEqualTo("007-sender");
		assertThat(JsonPath.<Integer>read(health.body(), details + "appliedByThisInstance")).isEqualTo(6);
		assertThat(JsonPath.<Integer>read(health.body(), details + "pending")).isZero();
	}

	@Test
	void endpointShowsWhatThisInstanceAppliedAndTheFleetsHistory() throws Exception {
		HttpResponse<String> response = get("/actuator/schemagate");
		assertThat(response.statusCode()).isEqualTo(200);
		String json = response.body();
		assertThat(JsonPath.<String>read(json, "$.gates.liquibase.state")).isEqualTo("UP_TO_DATE");
		assertThat(JsonPath.<List<String>>read(json, "$.gates.liquibase.applied[*].id")).containsExactly("001-tables",
				"002-seed", "003-slow-backfill", "004-index-concurrently", "005-after-index", "007-sender");
		assertThat(JsonPath.<List<Integer>>read(json, "$.gates.liquibase.applied[*].durationMillis"))
			.allSatisfy((millis) -> assertThat(millis).isNotNegative());
		assertThat(JsonPath.<List<String>>read(json, "$.gates.liquibase.fleetHistory[*].changesetId")).containsExactly(
				"007-sender", "005-after-index", "004-index-concurrently", "003-slow-backfill", "002-seed", "001-tables");
		assertThat(JsonPath.<List<String>>read(json, "$.gates.liquibase.fleetHistory[*].databaseUser"))
			.containsOnly(postgres.username());
		assertThat(JsonPath.<List<Integer>>read(json, "$.gates.liquibase.fleetHistory[*].pid"))
			.containsOnly((int) ProcessHandle.current().pid());
	}

	@Test
	void metersCountTheAppliedChangesets() throws Exception {
		HttpResponse<String> applied = get("/actuator/metrics/schemagate.changesets.applied");
		assertThat(applied.statusCode()).isEqualTo(200);
		assertThat(JsonPath.<Double>read(applied.body(), "$.measurements[0].value")).isEqualTo(6.0);
		HttpResponse<String> leader = get("/actuator/metrics/schemagate.leader");
		assertThat(JsonPath.<Double>read(leader.body(), "$.measurements[0].value")).isEqualTo(1.0);
		assertThat(get("/actuator/metrics/schemagate.lock.wait").statusCode()).isEqualTo(200);
		assertThat(get("/actuator/metrics/schemagate.migration").statusCode()).isEqualTo(200);
		assertThat(get("/actuator/metrics/schemagate.changesets.pending").statusCode()).isEqualTo(200);
	}

	private HttpResponse<String> awaitStatus(String path, int status) throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
		HttpResponse<String> response = get(path);
		while (response.statusCode() != status && System.nanoTime() < deadline) {
			Thread.sleep(100);
			response = get(path);
		}
		assertThat(response.statusCode()).as(path).isEqualTo(status);
		return response;
	}

	private HttpResponse<String> get(String path) throws IOException, InterruptedException {
		return this.http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + this.port + path)).build(),
				HttpResponse.BodyHandlers.ofString());
	}

}
