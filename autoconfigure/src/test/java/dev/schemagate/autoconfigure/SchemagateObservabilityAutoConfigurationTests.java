package dev.schemagate.autoconfigure;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.autoconfigure.endpoint.SchemagateEndpoint;
import dev.schemagate.autoconfigure.endpoint.SchemagateEndpoint.GateDescriptor;
import dev.schemagate.autoconfigure.endpoint.SchemagateEndpointAutoConfiguration;
import dev.schemagate.autoconfigure.health.SchemagateHealthAutoConfiguration;
import dev.schemagate.autoconfigure.health.SchemagateHealthIndicator;
import dev.schemagate.autoconfigure.metrics.ObservingGateListener;
import dev.schemagate.autoconfigure.metrics.SchemagateMetrics;
import dev.schemagate.autoconfigure.metrics.SchemagateMetricsAutoConfiguration;
import dev.schemagate.status.ForeignLock;
import dev.schemagate.test.TestPostgres;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.util.UUIDConverter;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the health, endpoint and metrics auto-configurations of schemagate.
 */
class SchemagateObservabilityAutoConfigurationTests {

	private final TestPostgres postgres = TestPostgres.get();

	private String url;

	private ApplicationContextRunner contextRunner;

	@BeforeEach
	void createDatabase() {
		this.url = this.postgres.createDatabase();
		this.contextRunner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LiquibaseAutoConfiguration.class, SchemagateAutoConfiguration.class,
					SchemagateHealthAutoConfiguration.class, SchemagateEndpointAutoConfiguration.class,
					SchemagateMetricsAutoConfiguration.class))
			.withPropertyValues(this.postgres.applicationProperties(this.url));
	}

	@Test
	void healthIndicatorReportsTheSchemaUpToDate() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(SchemagateHealthIndicator.class);
			Health health = context.getBean(SchemagateHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			@SuppressWarnings("unchecked")
			Map<String, Object> details = (Map<String, Object>) health.getDetails().get("liquibase");
			assertThat(details).containsEntry("state", "UP_TO_DATE")
				.containsEntry("changelogLastChangeset", "3-index")
				.containsEntry("databaseLastChangeset", "3-index")
				.containsEntry("appliedByThisInstance", 3)
				.containsEntry("pending", 0)
				.doesNotContainKeys("lockHolder", "lastError", "missing");
		});
	}

	@Test
	void aChangesetOfTheSameIdAndAuthorInAnotherFileDoesNotStandInForOneTheSchemaLost() {
		this.contextRunner.withPropertyValues("spring.liquibase.change-log=classpath:db/test/same-id/master.xml")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				try (Connection connection = this.postgres.connect(this.url);
						Statement statement = connection.createStatement()) {
					statement.execute("DELETE FROM databasechangelog WHERE filename LIKE '%second.xml'");
				}
				SchemaGate gate = context.getBean(SchemaGates.class).all().get(0);
				assertThat(gate.missingChangesets()).singleElement()
					.satisfies((missing) -> assertThat(missing.changelog()).endsWith("second.xml"));
				Health health = context.getBean(SchemagateHealthIndicator.class).health(true);
				assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
			});
	}

	@Test
	void healthIndicatorIsOutOfServiceWhenTheSchemaLostAChangeset() {
		this.contextRunner.run((context) -> {
			try (Connection connection = this.postgres.connect(this.url);
					Statement statement = connection.createStatement()) {
				statement.execute("DELETE FROM databasechangelog WHERE id = '2-seed'");
			}
			Health health = context.getBean(SchemagateHealthIndicator.class).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
			@SuppressWarnings("unchecked")
			Map<String, Object> details = (Map<String, Object>) health.getDetails().get("liquibase");
			assertThat(details).containsEntry("state", "SCHEMA_BEHIND")
				.containsEntry("missing", java.util.List.of("2-seed"));
		});
	}

	@Test
	void healthShowsTheLiquibaseLockHeldOutsideTheFleetThatTheLeaderWaitedFor() throws Exception {
		try (Connection foreign = this.postgres.connect(this.url); Statement statement = foreign.createStatement()) {
			statement.execute("SET application_name = 'liquibase-cli'");
			statement.execute("CREATE TABLE databasechangeloglock (ID INT PRIMARY KEY, LOCKED BOOLEAN NOT NULL, "
					+ "LOCKGRANTED TIMESTAMP, LOCKEDBY VARCHAR(255))");
			statement.execute("INSERT INTO databasechangeloglock VALUES (1, TRUE, now(), 'cli-host (10.0.0.9)')");
			CompletableFuture<Map<String, Object>> details = CompletableFuture.supplyAsync(() -> {
				AtomicReference<Map<String, Object>> health = new AtomicReference<>();
				this.contextRunner.run((context) -> health.set(liquibaseHealth(context)));
				return health.get();
			});
			Thread.sleep(2000);
			statement.execute("UPDATE databasechangeloglock SET LOCKED = FALSE, LOCKGRANTED = NULL, LOCKEDBY = NULL");
			assertThat(details.get(60, TimeUnit.SECONDS)).containsEntry("state", "UP_TO_DATE")
				.hasEntrySatisfying("foreignLock", (lock) -> assertThat(lock).isInstanceOfSatisfying(ForeignLock.class,
						(foreignLock) -> {
							assertThat(foreignLock.lockedBy()).isEqualTo("cli-host (10.0.0.9)");
							assertThat(foreignLock.possibleHolders()).singleElement()
								.asString()
								.contains("'liquibase-cli'");
						}));
		}
	}

	@Test
	void healthShowsThatThisInstanceEndedAFrozenLeader() throws Exception {
		try (Connection frozen = this.postgres.connect(this.url); Statement statement = frozen.createStatement()) {
			// holds the fence of the default lock key and a lease row it never renews
			statement.execute("SET application_name = 'frozen-leader'");
			statement.execute("CREATE TABLE INT_LOCK (LOCK_KEY CHAR(36) NOT NULL, REGION VARCHAR(100) NOT NULL, "
					+ "CLIENT_ID CHAR(36), CREATED_DATE TIMESTAMP NOT NULL, EXPIRED_AFTER TIMESTAMP NOT NULL, "
					+ "CONSTRAINT INT_LOCK_PK PRIMARY KEY (LOCK_KEY, REGION))");
			statement.execute("INSERT INTO INT_LOCK VALUES ('" + UUIDConverter.getUUID("databasechangelog")
					+ "', 'schemagate', 'f0f0f0f0-0000-0000-0000-000000000000', now(), now())");
			statement.execute("SELECT pg_advisory_lock(" + fenceId("schemagate/schemagate/databasechangelog") + ")");
			this.contextRunner.withPropertyValues("schemagate.lock.time-to-live=1s").run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(liquibaseHealth(context)).containsEntry("state", "UP_TO_DATE")
					.hasEntrySatisfying("takeover", (takeover) -> assertThat(takeover).asString()
						.contains("ended the session of 'frozen-leader'"));
			});
			assertThat(frozen.isValid(2)).isFalse();
		}
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> liquibaseHealth(org.springframework.context.ApplicationContext context) {
		return (Map<String, Object>) context.getBean(SchemagateHealthIndicator.class)
			.health(true)
			.getDetails()
			.get("liquibase");
	}

	// the advisory lock id of a gate's fence: the first eight bytes of the name's SHA-256
	private static long fenceId(String name) throws Exception {
		byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
			.digest(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
		return java.nio.ByteBuffer.wrap(digest, 0, 8).getLong();
	}

	@Test
	void healthIndicatorBacksOffWhenDisabled() {
		this.contextRunner.withPropertyValues("management.health.schemagate.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(SchemagateHealthIndicator.class));
	}

	@Test
	void healthIndicatorBacksOffWithoutHealthSupport() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(HealthIndicator.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(SchemagateHealthIndicator.class));
	}

	@Test
	void endpointIsOnlyThereWhenExposed() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(SchemagateEndpoint.class));
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=schemagate")
			.run((context) -> assertThat(context).hasSingleBean(SchemagateEndpoint.class));
	}

	@Test
	void endpointDescribesWhatThisInstanceApplied() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=schemagate")
			.run((context) -> {
				GateDescriptor gate = context.getBean(SchemagateEndpoint.class).gates().gates().get("liquibase");
				assertThat(gate.state()).isEqualTo("UP_TO_DATE");
				assertThat(gate.applied()).extracting(SchemagateEndpoint.AppliedDescriptor::id)
					.containsExactly("1-audit", "2-seed", "3-index");
				// where the schema stands now, as pending says, not before this instance migrated
				assertThat(gate.position().pending()).isZero();
				assertThat(gate.pending()).isZero();
				assertThat(gate.position().changelogLastId()).isEqualTo("3-index");
				assertThat(gate.lockHolder()).isNull();
				assertThat(gate.fleetHistory()).hasSize(3).allSatisfy((entry) -> {
					assertThat(entry.pid()).isEqualTo(ProcessHandle.current().pid());
					assertThat(entry.databaseUser()).isEqualTo(this.postgres.username());
					assertThat(entry.outcome()).isEqualTo("APPLIED");
				});
				assertThat(gate.fleetHistory().get(0).changesetId()).isEqualTo("3-index");
			});
	}

	@Test
	void metersArePublishedWithAMeterRegistry() {
		this.contextRunner.withUserConfiguration(MeterRegistryConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(SchemagateMetrics.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			context.getBean(SchemagateMetrics.class).bindTo(registry);
			assertThat(registry.get("schemagate.changesets.applied").tag("gate", "liquibase").functionCounter().count())
				.isEqualTo(3);
			assertThat(registry.get("schemagate.changesets.pending").gauge().value()).isZero();
			assertThat(registry.get("schemagate.leader").gauge().value()).isOne();
			assertThat(registry.get("schemagate.lock.wait").functionTimer().count()).isOne();
			assertThat(registry.get("schemagate.migration").tag("outcome", "success").functionTimer().count())
				.isOne();
			assertThat(registry.get("schemagate.migration").tag("outcome", "failure").functionTimer().count())
				.isZero();
		});
	}

	@Test
	void metersBackOffWithoutAMeterRegistry() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(SchemagateMetrics.class));
	}

	@Test
	void acquireAndMigrateAreObserved() {
		this.contextRunner.withUserConfiguration(ObservationRegistryConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(ObservingGateListener.class);
			assertThat(context.getBean(ObservationRegistryConfiguration.class).events).containsExactly(
					"start schemagate.lock.acquire", "stop schemagate.lock.acquire", "start schemagate.migrate",
					"stop schemagate.migrate");
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class MeterRegistryConfiguration {

		@Bean
		SimpleMeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ObservationRegistryConfiguration {

		final java.util.List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();

		@Bean
		ObservationRegistry observationRegistry() {
			ObservationRegistry registry = ObservationRegistry.create();
			registry.observationConfig().observationHandler(new ObservationHandler<Observation.Context>() {

				@Override
				public void onStart(Observation.Context context) {
					ObservationRegistryConfiguration.this.events.add("start " + context.getName());
				}

				@Override
				public void onStop(Observation.Context context) {
					ObservationRegistryConfiguration.this.events.add("stop " + context.getName());
				}

				@Override
				public boolean supportsContext(Observation.Context context) {
					return true;
				}

			});
			return registry;
		}

	}

}
