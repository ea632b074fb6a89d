package dev.schemagate.autoconfigure;

import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@code schemagate.mode=plan}: the pending changesets and their SQL are printed,
 * nothing in the database changes, not even Liquibase's or schemagate's own tables, and the
 * context starts without a gate. How a plan ends is tested in {@link RunOnceModesTests}, and
 * as a process in the sample's {@code ModesIT}.
 */
@ExtendWith(OutputCaptureExtension.class)
class PlanModeTests {

	private static final String TABLES = "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
			+ "WHERE schemaname = 'public'";

	private final TestPostgres postgres = TestPostgres.get();

	private String url;

	private ApplicationContextRunner contextRunner;

	@BeforeEach
	void createDatabase() {
		this.url = this.postgres.createDatabase();
		this.contextRunner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LiquibaseAutoConfiguration.class, SchemagateAutoConfiguration.class))
			.withPropertyValues(this.postgres.applicationProperties(this.url));
	}

	@Test
	void planOfAnEmptyDatabasePrintsEveryChangesetAndItsSqlAndCreatesNothing(CapturedOutput output)
			throws Exception {
		this.contextRunner.withPropertyValues("schemagate.mode=plan").run((context) -> {
			assertPlanPrinted(context);
			assertThat(output).contains("schemagate plan for 'liquibase' (classpath:db/test/changelog.xml): "
					+ "3 changesets to apply")
				.contains("  1-audit (test)\n  2-seed (test)\n  3-index (test)")
				.contains("CREATE TABLE audit (note varchar(50))")
				.contains("INSERT INTO audit (note) VALUES ('seed')")
				.contains("CREATE INDEX CONCURRENTLY audit_note_idx ON audit (note)");
		});
		assertThat(this.postgres.queryString(this.url, TABLES)).isNull();
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"))
			.isZero();
	}

	@Test
	void planOfTheNextVersionPrintsOnlyItsChangesetAndChangesNothing(CapturedOutput output) throws Exception {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed());
		String tablesBefore = this.postgres.queryString(this.url, TABLES);
		long historyBefore = this.postgres.queryLong(this.url, "SELECT count(*) FROM schemagate_history");
		this.contextRunner
			.withPropertyValues("schemagate.mode=plan", "spring.liquibase.change-log=classpath:db/test/changelog-v2.xml",
					"spring.liquibase.contexts=v2")
			.run((context) -> {
				assertPlanPrinted(context);
				assertThat(output).contains("(classpath:db/test/changelog-v2.xml): 1 changeset to apply\n  4-v2 (test)")
					.contains("INSERT INTO audit (note) VALUES ('v2')")
					.doesNotContain("INSERT INTO audit (note) VALUES ('seed')");
			});
		assertThat(this.postgres.queryString(this.url, TABLES)).isEqualTo(tablesBefore);
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit")).isOne();
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangelog")).isEqualTo(3);
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked"))
			.isZero();
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM schemagate_history"))
			.isEqualTo(historyBefore);
	}

	@Test
	void planOfAnUpToDateDatabaseSaysSo(CapturedOutput output) {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed());
		this.contextRunner.withPropertyValues("schemagate.mode=plan").run((context) -> {
			assertPlanPrinted(context);
			assertThat(output).contains("schemagate plan for 'liquibase' (classpath:db/test/changelog.xml): nothing to "
					+ "apply, the database holds every changeset of the changelog");
		});
	}

	@Test
	void everyLiquibaseBeanIsPlannedBeforeTheApplicationStops(CapturedOutput output) {
		String second = this.postgres.createDatabase();
		this.contextRunner.withPropertyValues("schemagate.mode=plan", "other.url=" + second)
			.withUserConfiguration(SchemagateAutoConfigurationTests.TwoDatabasesConfiguration.class)
			.run((context) -> {
				assertPlanPrinted(context);
				assertThat(output).contains("schemagate plan for 'liquibase' (classpath:db/test/changelog.xml): "
						+ "3 changesets to apply");
				assertThat(output).contains("schemagate plan for 'otherLiquibase' (classpath:db/test/changelog.xml): "
						+ "3 changesets to apply");
			});
	}

	@Test
	void planOfADatabaseThatCannotBeReachedFailsNamingIt() {
		this.contextRunner
			.withPropertyValues("schemagate.mode=plan", "spring.datasource.password=wrong",
					"spring.datasource.hikari.initialization-fail-timeout=-1",
					"spring.datasource.hikari.connection-timeout=1000")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).hasMessageContaining("Planning the migration failed")
					.rootCause()
					.hasMessageContaining("password authentication failed");
			});
	}

	private static void assertPlanPrinted(AssertableApplicationContext context) {
		assertThat(context).hasNotFailed();
		assertThat(context.getBean(StartStrategy.class)).isInstanceOf(PlanStrategy.class);
		assertThat(context.getBean(SchemaGates.class).all()).isEmpty();
	}

}
