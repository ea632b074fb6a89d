package dev.schemagate.autoconfigure;

import java.sql.SQLException;
import java.time.Duration;

import javax.sql.DataSource;

import dev.schemagate.test.TestPostgres;
import liquibase.integration.spring.SpringLiquibase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link SchemagateAutoConfiguration}.
 */
class SchemagateAutoConfigurationTests {

	private final TestPostgres postgres = TestPostgres.get();

	private String url;

	private ApplicationContextRunner contextRunner;

	@BeforeEach
	void createDatabase() {
		this.url = this.postgres.createDatabase();
		this.contextRunner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					JdbcTemplateAutoConfiguration.class, LiquibaseAutoConfiguration.class,
					SchemagateAutoConfiguration.class))
			.withPropertyValues(this.postgres.applicationProperties(this.url));
	}

	@Test
	void migratesUnderTheGate() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed().hasSingleBean(LiquibaseGatePostProcessor.class);
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangelog")).isEqualTo(3);
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM INT_LOCK")).isZero();
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked")).isZero();
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'audit_note_idx'")).isOne();
		});
	}

	@Test
	void beansThatDependOnDatabaseInitializationSeeTheMigratedSchema() {
		this.contextRunner.withUserConfiguration(ReadsAtStartConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(ReadsAtStartConfiguration.AuditAtStart.class).rows()).isOne();
		});
	}

	@Test
	void secondStartFindsNothingPending() {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed());
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
		});
	}

	@Test
	void backsOffWhenDisabled() {
		this.contextRunner.withPropertyValues("schemagate.enabled=false").run((context) -> {
			assertThat(context).hasNotFailed().doesNotHaveBean(LiquibaseGatePostProcessor.class);
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM pg_tables WHERE tablename = 'int_lock'")).isZero();
		});
	}

	@Test
	void backsOffWithoutLiquibase() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(SpringLiquibase.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(LiquibaseGatePostProcessor.class));
	}

	@Test
	void backsOffWithoutSpringIntegrationJdbc() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(JdbcLockRegistry.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(LiquibaseGatePostProcessor.class));
	}

	@Test
	void backsOffWithoutDataSource() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(LiquibaseAutoConfiguration.class, SchemagateAutoConfiguration.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(SpringLiquibase.class)
				.doesNotHaveBean(LiquibaseGatePostProcessor.class));
	}

	@Test
	void backsOffWhenLiquibaseIsDisabled() {
		this.contextRunner.withPropertyValues("spring.liquibase.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(LiquibaseGatePostProcessor.class));
	}

	@Test
	void locksInTheMigrationDatabaseWithTheMigrationCredentials() {
		String migrationUrl = this.postgres.createDatabase();
		this.contextRunner
			.withPropertyValues("spring.liquibase.url=" + migrationUrl,
					"spring.liquibase.user=" + this.postgres.username(),
					"spring.liquibase.password=" + this.postgres.password())
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(this.postgres.queryLong(migrationUrl, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
				assertThat(this.postgres.queryLong(migrationUrl, "SELECT count(*) FROM pg_tables WHERE tablename = 'int_lock'")).isOne();
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM pg_tables WHERE tablename = 'int_lock'")).isZero();
			});
	}

	@Test
	void gatesEveryLiquibaseBeanInItsOwnDatabase() {
		String otherUrl = this.postgres.createDatabase();
		this.contextRunner.withUserConfiguration(TwoDatabasesConfiguration.class)
			.withPropertyValues("other.url=" + otherUrl)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				for (String database : new String[] { this.url, otherUrl }) {
					assertThat(this.postgres.queryLong(database, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
					assertThat(this.postgres.queryLong(database, "SELECT count(*) FROM pg_tables WHERE tablename = 'int_lock'"))
						.isOne();
				}
			});
	}

	@Test
	void configuredLockSettingsAreUsed() {
		this.contextRunner
			.withPropertyValues("schemagate.lock.table-prefix=GATE_", "schemagate.lock.key=orders",
					"schemagate.lock.region=shop")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM pg_tables WHERE tablename = 'gate_lock'")).isOne();
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM pg_tables WHERE tablename = 'int_lock'")).isZero();
			});
	}

	@Test
	void failingChangesetFailsTheStartAndLeavesNothingHalfApplied() {
		this.contextRunner.withPropertyValues("spring.liquibase.change-log=classpath:db/test/failing.xml")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("no_such_table");
				assertThat(context.getStartupFailure()).hasMessageContaining("2-broken");
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangelog")).isOne();
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit")).isZero();
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked")).isZero();
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM INT_LOCK")).isZero();
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).isZero();
			});
	}

	@Test
	void changelogLockLeftByADeadProcessDoesNotBlockTheStart() throws SQLException {
		this.postgres.executeIn(this.url, "CREATE TABLE databasechangeloglock (ID INT PRIMARY KEY, LOCKED BOOLEAN NOT NULL, "
				+ "LOCKGRANTED TIMESTAMP, LOCKEDBY VARCHAR(255))",
				"INSERT INTO databasechangeloglock VALUES (1, TRUE, now(), 'crashed-host (10.0.0.9)')");
		long started = System.nanoTime();
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked")).isZero();
		});
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(60));
	}

	@Configuration(proxyBeanMethods = false)
	static class ReadsAtStartConfiguration {

		@Bean
		AuditAtStart auditAtStart(JdbcTemplate jdbcTemplate) {
			return new AuditAtStart(jdbcTemplate.queryForObject("SELECT count(*) FROM audit", Long.class));
		}

		record AuditAtStart(long rows) {
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class TwoDatabasesConfiguration {

		@Bean
		SpringLiquibase liquibase(DataSource dataSource) {
			return changelogOn(dataSource);
		}

		@Bean
		SpringLiquibase otherLiquibase(org.springframework.core.env.Environment environment) {
			TestPostgres postgres = TestPostgres.get();
			return changelogOn(postgres.pool(environment.getProperty("other.url"), 2));
		}

		private static SpringLiquibase changelogOn(DataSource dataSource) {
			SpringLiquibase liquibase = new SpringLiquibase();
			liquibase.setDataSource(dataSource);
			liquibase.setChangeLog("classpath:db/test/changelog.xml");
			liquibase.setAnalyticsEnabled(false);
			return liquibase;
		}

	}

}
