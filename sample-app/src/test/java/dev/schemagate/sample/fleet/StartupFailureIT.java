package dev.schemagate.sample.fleet;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.schemagate.sample.fleet.Fleet.Member;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged sample started with a database it cannot use: it must stop with Spring
 * Boot's failure report, saying what is wrong and what to set, and a non-zero exit code.
 */
class StartupFailureIT {

	private final TestPostgres postgres = TestPostgres.get();

	@Test
	void wrongPasswordIsReportedAtOnceWithWhatToSet() throws Exception {
		String log = failedStart("wrong-password", this.postgres.createDatabase(),
				Map.of("spring.datasource.password", "not-the-password"));
		assertThat(log).contains("APPLICATION FAILED TO START")
			.contains("The database rejected the migration's connection")
			.contains("password authentication failed")
			.contains("spring.datasource.password");
	}

	@Test
	void missingDatabaseIsReportedWithWhatToCreate() throws Exception {
		String log = failedStart("missing-database", this.postgres.urlOf("sg_never_created"), Map.of());
		assertThat(log).contains("APPLICATION FAILED TO START")
			.contains("database \"sg_never_created\" does not exist")
			.contains("CREATE DATABASE");
	}

	@Test
	void databaseOutOfReachIsReportedAfterTheRetryDeadline() throws Exception {
		String log = failedStart("database-out-of-reach", "jdbc:postgresql://localhost:1/app",
				Map.of("schemagate.retry.timeout", "3s", "spring.datasource.hikari.connection-timeout", "1000"));
		assertThat(log).contains("APPLICATION FAILED TO START")
			.contains("stayed out of reach for 3s")
			.contains("schemagate.retry.timeout");
	}

	private String failedStart(String name, String url, Map<String, String> properties) throws Exception {
		try (Fleet fleet = Fleet.start(name, 1, url, properties)) {
			Member instance = fleet.members().get(0);
			assertThat(instance.process().waitFor(Duration.ofSeconds(90).toSeconds(), TimeUnit.SECONDS))
				.as("the instance stops by itself").isTrue();
			assertThat(instance.process().exitValue()).isNotZero();
			return Files.readString(instance.log());
		}
	}

}
