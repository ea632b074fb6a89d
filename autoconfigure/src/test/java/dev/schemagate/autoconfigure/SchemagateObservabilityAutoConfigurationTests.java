package dev.schemagate.autoconfigure;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;

import dev.schemagate.autoconfigure.endpoint.SchemagateEndpoint;
import dev.schemagate.autoconfigure.endpoint.SchemagateEndpoint.GateDescriptor;
import dev.schemagate.autoconfigure.endpoint.SchemagateEndpointAutoConfiguration;
import dev.schemagate.autoconfigure.health.SchemagateHealthAutoConfiguration;
import dev.schemagate.autoconfigure.health.SchemagateHealthIndicator;
import dev.schemagate.autoconfigure.metrics.ObservingGateListener;
import dev.schemagate.autoconfigure.metrics.SchemagateMetrics;
import dev.schemagate.autoconfigure.metrics.SchemagateMetricsAutoConfiguration;
import dev.schemagate.test.TestPostgres;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
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
				assertThat(gate.position().pending()).isEqualTo(3);
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
