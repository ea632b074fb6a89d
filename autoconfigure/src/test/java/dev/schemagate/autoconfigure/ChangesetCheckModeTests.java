package dev.schemagate.autoconfigure;

import java.util.List;
import java.util.Map;

import dev.schemagate.autoconfigure.endpoint.SchemagateEndpoint;
import dev.schemagate.autoconfigure.endpoint.SchemagateEndpoint.FindingDescriptor;
import dev.schemagate.autoconfigure.health.SchemagateHealthIndicator;
import dev.schemagate.check.UnsafeChangesetException;
import dev.schemagate.test.FailureAnalyses;
import dev.schemagate.test.TestPostgres;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@code schemagate.check.mode}: version 2 of an application adds a column (safe)
 * and drops one version 1 reads (unsafe) on a database version 1 migrated.
 */
@ExtendWith(OutputCaptureExtension.class)
class ChangesetCheckModeTests {

	private static final String DROP_NOTE = "6-drop-note (test) of db/test/unsafe-v2.xml drops column audit.note "
			+ "[drop-column]: the previous version still reads and writes the column while the new one rolls out";

	private final TestPostgres postgres = TestPostgres.get();

	private String url;

	private ApplicationContextRunner versionTwo;

	@BeforeEach
	void migrateVersionOne() {
		this.url = this.postgres.createDatabase();
		ApplicationContextRunner runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LiquibaseAutoConfiguration.class, SchemagateAutoConfiguration.class))
			.withPropertyValues(this.postgres.applicationProperties(this.url));
		runner.run((context) -> assertThat(context).hasNotFailed());
		this.versionTwo = runner.withPropertyValues("spring.liquibase.change-log=classpath:db/test/unsafe-v2.xml");
	}

	@Test
	void warnsByDefaultAndAppliesShowingTheFindingInHealthAndTheEndpoint(CapturedOutput output) {
		this.versionTwo.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(output).contains("WARN").contains("Changeset check of 'liquibase': " + DROP_NOTE);
			assertThat(columns()).isEqualTo("remark");
			Health health = new SchemagateHealthIndicator(context.getBean(SchemaGates.class)).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
			assertThat(gateDetails(health)).extractingByKey("changesetCheck")
				.asInstanceOf(InstanceOfAssertFactories.LIST)
				.singleElement()
				.asString()
				.startsWith(DROP_NOTE);
			List<FindingDescriptor> endpoint = new SchemagateEndpoint(context.getBean(SchemaGates.class)).gates()
				.gates()
				.get("liquibase")
				.changesetCheck();
			assertThat(endpoint).singleElement().satisfies((finding) -> {
				assertThat(finding.rule()).isEqualTo("drop-column");
				assertThat(finding.impact()).isEqualTo("BREAKS_PREVIOUS_VERSION");
				assertThat(finding.changeset()).isEqualTo("6-drop-note");
				assertThat(finding.change()).isEqualTo("drops column audit.note");
				assertThat(finding.alternative()).startsWith("stop using the column");
				assertThat(finding.allowedBecause()).isNull();
			});
		});
	}

	@Test
	void failModeStopsBeforeApplyingAnyChangesetNamingTheFinding() throws Exception {
		this.versionTwo.withPropertyValues("schemagate.check.mode=fail").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(UnsafeChangesetException.class)
				.hasMessageContaining("The migration of 'liquibase' stopped before applying anything: 1 unsafe change")
				.hasMessageContaining(DROP_NOTE);
			FailureAnalysis analysis = FailureAnalyses.analyze(context.getStartupFailure());
			assertThat(analysis.getAction()).contains("schemagate:allow=<rule>").contains("schemagate.check.mode=warn");
		});
		// not even the safe changeset before it
		assertThat(columns()).isEqualTo("note");
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangelog")).isEqualTo(3);
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked"))
			.isZero();
	}

	@Test
	void allowedRulePassesFailModeWithItsReasonLogged(CapturedOutput output) throws Exception {
		this.versionTwo
			.withPropertyValues("schemagate.check.mode=fail",
					"spring.liquibase.change-log=classpath:db/test/unsafe-v2-allowed.xml")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(output).contains("INFO")
					.contains("Changeset check of 'liquibase': 6-drop-note (test) of db/test/unsafe-v2-allowed.xml "
							+ "drops column audit.note [drop-column]: allowed, version 1 never reads it");
				assertThat(findings(context)).singleElement()
					.satisfies((finding) -> assertThat(finding.allowedBecause()).isEqualTo("version 1 never reads it"));
			});
		assertThat(columns()).isEqualTo("remark");
	}

	@Test
	void offModeChecksNothing(CapturedOutput output) throws Exception {
		this.versionTwo.withPropertyValues("schemagate.check.mode=off").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(findings(context)).isEmpty();
		});
		assertThat(output).doesNotContain("Changeset check");
		assertThat(columns()).isEqualTo("remark");
	}

	@Test
	void planPrintsTheFindingsOfThePendingChangesets(CapturedOutput output) throws Exception {
		this.versionTwo.withPropertyValues("schemagate.mode=plan").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(output).contains("2 changesets to apply\n  5-remark (test)\n  6-drop-note (test)\n\n"
					+ "Changeset check: 1 unsafe change, 0 allowed\n  UNSAFE: " + DROP_NOTE);
		});
		assertThat(columns()).isEqualTo("note");
	}

	@Test
	void planInFailModeCountsTheChangesTheMigrationWouldRefuse() throws Exception {
		this.versionTwo.withPropertyValues("schemagate.mode=plan", "schemagate.check.mode=fail")
			.run((context) -> assertThat(refusedChanges(context)).isOne());
		this.versionTwo
			.withPropertyValues("schemagate.mode=plan", "schemagate.check.mode=fail",
					"spring.liquibase.change-log=classpath:db/test/unsafe-v2-allowed.xml")
			.run((context) -> assertThat(refusedChanges(context)).isZero());
		assertThat(columns()).isEqualTo("note");
	}

	private static int refusedChanges(AssertableApplicationContext context) {
		assertThat(context).hasNotFailed();
		return ((PlanStrategy) context.getBean(StartStrategy.class)).refusedChanges();
	}

	private String columns() throws Exception {
		return this.postgres.queryString(this.url, "SELECT string_agg(column_name, ',' ORDER BY column_name) "
				+ "FROM information_schema.columns WHERE table_name = 'audit'");
	}

	private static List<FindingDescriptor> findings(AssertableApplicationContext context) throws Exception {
		return new SchemagateEndpoint(context.getBean(SchemaGates.class)).gates()
			.gates()
			.get("liquibase")
			.changesetCheck();
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> gateDetails(Health health) {
		return (Map<String, Object>) health.getDetails().get("liquibase");
	}

}
