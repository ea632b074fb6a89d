package dev.schemagate.autoconfigure;

import dev.schemagate.status.GateStatus;
import dev.schemagate.test.FailureAnalyses;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@code schemagate.schema-ahead}: an instance of version 1 on a schema that
 * version 2 migrated, its changelog lacking version 2's changeset.
 */
class SchemaAheadTests {

	private final TestPostgres postgres = TestPostgres.get();

	private ApplicationContextRunner versionOne;

	@BeforeEach
	void migrateVersionTwo() {
		String url = this.postgres.createDatabase();
		ApplicationContextRunner runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					JdbcTemplateAutoConfiguration.class, LiquibaseAutoConfiguration.class,
					ApplicationAvailabilityAutoConfiguration.class, SchemagateAutoConfiguration.class))
			.withPropertyValues(this.postgres.applicationProperties(url));
		runner.withPropertyValues("spring.liquibase.change-log=classpath:db/test/changelog-v2.xml",
				"spring.liquibase.contexts=v2")
			.run((context) -> assertThat(context).hasNotFailed());
		this.versionOne = runner;
	}

	@Test
	void servesByDefaultAndSaysTheSchemaIsAhead() {
		this.versionOne.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(gateState(context)).isEqualTo(GateStatus.State.SCHEMA_AHEAD);
			assertThat(readinessAfterCheck(context)).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
		});
	}

	@Test
	void refusesTrafficWhileAheadWhenAskedToEvenIfTheApplicationSaysItIsReadyAfterwards() {
		this.versionOne.withPropertyValues("schemagate.schema-ahead=refuse-traffic").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(readinessAfterCheck(context)).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
			// Spring Boot turns the application ready after the first check may have run
			AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
			assertThat(readinessAfterCheck(context)).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
		});
	}

	@Test
	void failsToStartWhenAskedToNamingTheUnknownChangeset() {
		this.versionOne.withPropertyValues("schemagate.schema-ahead=fail").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(SchemaAheadException.class)
				.hasMessageContaining("holds 1 changeset its changelog does not know, last 4-v2 (test)");
			FailureAnalysis analysis = FailureAnalyses.analyze(context.getStartupFailure());
			assertThat(analysis.getAction()).contains("schemagate.schema-ahead=serve");
		});
	}

	private static GateStatus.State gateState(AssertableApplicationContext context) {
		return context.getBean(SchemaGates.class).all().get(0).status().getState();
	}

	private static ReadinessState readinessAfterCheck(AssertableApplicationContext context) {
		if (context.getBean(ApplicationAvailability.class).getReadinessState() != ReadinessState.ACCEPTING_TRAFFIC) {
			AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
		}
		context.getBean(SchemaReadiness.class).check();
		return context.getBean(ApplicationAvailability.class).getReadinessState();
	}

}
