package dev.schemagate.autoconfigure;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import dev.schemagate.gate.ForeignLockTimeoutException;
import dev.schemagate.gate.MigrationGate;
import dev.schemagate.status.GateStatus;
import dev.schemagate.test.FailureAnalyses;
import dev.schemagate.test.TestPostgres;
import liquibase.integration.spring.SpringLiquibase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
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

	private static final String CREATE_CHANGELOG_LOCK = "CREATE TABLE databasechangeloglock (ID INT PRIMARY KEY, "
			+ "LOCKED BOOLEAN NOT NULL, LOCKGRANTED TIMESTAMP, LOCKEDBY VARCHAR(255))";

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
	void startOnAMigratedSchemaTakesNoLock() {
		this.contextRunner.run((context) -> {
			assertThat(gateStatus(context).getFenceAcquisitions()).isOne();
			assertThat(gateStatus(context).getLockAcquisitions()).isOne();
		});
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			GateStatus status = gateStatus(context);
			assertThat(status.getFenceAcquisitions()).isZero();
			assertThat(status.getLockAcquisitions()).isZero();
			assertThat(status.getState()).isEqualTo(GateStatus.State.UP_TO_DATE);
			assertThat(status.getPosition()).hasValueSatisfying((position) -> {
				assertThat(position.changelogLastId()).isEqualTo("3-index");
				assertThat(position.required()).hasSize(3);
			});
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
		});
	}

	@Test
	void checksumMismatchStillFailsTheStartAsLiquibaseWould() throws SQLException {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed());
		this.postgres.executeIn(this.url,
				"UPDATE databasechangelog SET md5sum = '9:00000000000000000000000000000000' WHERE id = '2-seed'");
		this.contextRunner.run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("2-seed");
			assertThat(context.getStartupFailure()).hasStackTraceContaining("checksum");
		});
	}

	@Test
	void pendingChangesetOfAnotherContextDoesNotMakeTheInstanceTakeTheLock() {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed());
		ApplicationContextRunner v2 = this.contextRunner
			.withPropertyValues("spring.liquibase.change-log=classpath:db/test/changelog-v2.xml");
		v2.withPropertyValues("spring.liquibase.contexts=v1").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(gateStatus(context).getLockAcquisitions()).isZero();
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'v2'")).isZero();
		});
		v2.withPropertyValues("spring.liquibase.contexts=v1,v2").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(gateStatus(context).getLockAcquisitions()).isOne();
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'v2'")).isOne();
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
		});
	}

	@ParameterizedTest
	@ValueSource(strings = { "run-on-change", "preconditions" })
	void changelogThatLiquibaseActsOnEvenWhenUpToDateTakesTheLock(String changelog) {
		ApplicationContextRunner runner = this.contextRunner
			.withPropertyValues("spring.liquibase.change-log=classpath:db/test/" + changelog + ".xml");
		runner.run((context) -> assertThat(context).hasNotFailed());
		runner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(gateStatus(context).getLockAcquisitions()).isOne();
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
		});
	}

	private static GateStatus gateStatus(org.springframework.context.ApplicationContext context) {
		return context.getBean(SchemaGates.class).all().get(0).status();
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
				// the application's pool reaches another database: the waiters ask where they lock
				MigrationGate gate = context.getBean(SchemaGates.class).all().get(0).gate();
				assertThat(gate.askingDataSource()).isSameAs(gate.dataSource());
			});
	}

	@Test
	void waitersAskThroughTheApplicationsPoolWhenLiquibaseHasAConnectionOfItsOwnToTheSameDatabase() {
		this.contextRunner
			.withPropertyValues("spring.liquibase.url=" + this.url, "spring.liquibase.user=" + this.postgres.username(),
					"spring.liquibase.password=" + this.postgres.password())
			.run((context) -> {
				assertThat(context).hasNotFailed();
				MigrationGate gate = context.getBean(SchemaGates.class).all().get(0).gate();
				assertThat(gate.dataSource()).isNotSameAs(context.getBean(DataSource.class));
				assertThat(gate.askingDataSource()).isSameAs(context.getBean(DataSource.class));
			});
	}

	@Test
	void waitersAskThroughTheMigrationDataSourceWhenItIsTheApplicationsPool() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			MigrationGate gate = context.getBean(SchemaGates.class).all().get(0).gate();
			assertThat(gate.dataSource()).isSameAs(context.getBean(DataSource.class));
			assertThat(gate.askingDataSource()).isSameAs(gate.dataSource());
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
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
				+ "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).isZero();
			});
	}

	@Test
	void changelogLockLeftByADeadProcessDoesNotBlockTheStart() throws Exception {
		try (Connection idleSinceBefore = this.postgres.connect(this.url);
				Statement statement = idleSinceBefore.createStatement()) {
			// a session of another app, idle since before the crash: it cannot hold the lock
			statement.execute("SELECT 1");
			Thread.sleep(1500);
			this.postgres.executeIn(this.url, CREATE_CHANGELOG_LOCK,
					"INSERT INTO databasechangeloglock VALUES (1, TRUE, now(), 'crashed-host (10.0.0.9)')");
			long started = System.nanoTime();
			this.contextRunner.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked"))
					.isZero();
			});
			assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(60));
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "UTC", "America/New_York", "Asia/Kathmandu", "Pacific/Kiritimati" })
	void changelogLockOfALiveProcessIsWaitedFor(String timeZone) throws Exception {
		try (Connection foreign = this.postgres.connect(this.url); Statement statement = foreign.createStatement()) {
			// a Liquibase run outside the fleet, on a host in another time zone
			statement.execute("SET TIME ZONE '" + timeZone + "'");
			statement.execute(CREATE_CHANGELOG_LOCK);
			statement.execute("INSERT INTO databasechangeloglock VALUES (1, TRUE, now(), 'cli-host (10.0.0.9)')");
			CompletableFuture<Void> start = CompletableFuture.runAsync(
					() -> this.contextRunner.withPropertyValues("schemagate.lock.wait-timeout=90s").run((context) -> {
						assertThat(context).hasNotFailed();
						assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'seed'"))
							.isOne();
					}));
			Thread.sleep(3000);
			assertThat(start).isNotDone();
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM pg_tables WHERE tablename = 'audit'"))
				.isZero();
			statement.execute("UPDATE databasechangeloglock SET LOCKED = FALSE, LOCKGRANTED = NULL, LOCKEDBY = NULL");
			start.get(60, TimeUnit.SECONDS);
		}
	}

	@Test
	void changelogLockOfAProcessThatLivesOnFailsTheStartNamingIt() throws Exception {
		try (Connection foreign = this.postgres.connect(this.url); Statement statement = foreign.createStatement()) {
			statement.execute("SET application_name = 'liquibase-cli'");
			statement.execute(CREATE_CHANGELOG_LOCK);
			statement.execute("INSERT INTO databasechangeloglock VALUES (1, TRUE, now(), 'cli-host (10.0.0.9)')");
			this.contextRunner.withPropertyValues("schemagate.lock.wait-timeout=2s").run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause()
					.isInstanceOf(ForeignLockTimeoutException.class)
					.hasMessageContaining("locked by 'cli-host (10.0.0.9)'")
					.hasMessageContaining("'liquibase-cli'");
				FailureAnalysis analysis = FailureAnalyses.analyze(context.getStartupFailure());
				assertThat(analysis.getDescription()).contains("DATABASECHANGELOGLOCK locked by 'cli-host (10.0.0.9)'");
				assertThat(analysis.getAction()).contains("schemagate.lock.wait-timeout")
					.contains("pg_terminate_backend")
					.contains("UPDATE DATABASECHANGELOGLOCK SET LOCKED = FALSE");
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked"))
					.isOne();
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM pg_tables WHERE tablename = 'audit'"))
					.isZero();
			});
		}
	}

	@Test
	void changelogLockOfALeaderWhoseSessionEndedIsClearedAtOnce() throws Exception {
		try (Connection observer = this.postgres.connect(this.url); Statement statement = observer.createStatement()) {
			// this session began before the leader's lock and stays active: by time alone it
			// may hold the lock; the leader's stamp tells otherwise
			CompletableFuture<Void> start = CompletableFuture.runAsync(() -> this.contextRunner
				.withPropertyValues("spring.liquibase.change-log=classpath:db/test/slow.xml",
						"spring.liquibase.parameters.slowSeconds=4", "schemagate.lock.wait-timeout=2m")
				.run((context) -> assertThat(context).hasNotFailed()));
			long leaderSession = awaitSleepingSession(statement);
			String lockedBy = queryString(statement, "SELECT lockedby FROM databasechangeloglock WHERE locked");
			assertThat(lockedBy).startsWith("schemagate fence ");
			statement.execute("SELECT pg_terminate_backend(" + leaderSession + ")");
			long killed = System.nanoTime();
			start.get(60, TimeUnit.SECONDS);
			// the retried pass runs the 4 s changeset again, after a 0.5 s pause
			assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThan(Duration.ofSeconds(20));
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'slow'")).isOne();
			assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked"))
				.isZero();
		}
	}

	private static long awaitSleepingSession(Statement statement) throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
		while (System.nanoTime() < deadline) {
			try (ResultSet result = statement.executeQuery("SELECT pid FROM pg_stat_activity WHERE state = 'active' "
					+ "AND query LIKE 'SELECT pg_sleep%' AND pid <> pg_backend_pid()")) {
				if (result.next()) {
					return result.getLong(1);
				}
			}
			Thread.sleep(50);
		}
		throw new AssertionError("No session started the slow changeset");
	}

	private static String queryString(Statement statement, String sql) throws SQLException {
		try (ResultSet result = statement.executeQuery(sql)) {
			return result.next() ? result.getString(1) : null;
		}
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
