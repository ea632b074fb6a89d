package dev.schemagate.autoconfigure;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.schemagate.gate.SchemaNotReadyException;
import dev.schemagate.status.GateStatus;
import dev.schemagate.test.FailureAnalyses;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the 'wait' mode: an instance whose database user may only read and write data
 * waits for another to migrate, changing nothing itself.
 */
class WaitModeTests {

	private final TestPostgres postgres = TestPostgres.get();

	private final ExecutorService executor = Executors.newSingleThreadExecutor();

	private String url;

	private String appUser;

	@BeforeEach
	void createDatabaseAndDataOnlyUser() throws Exception {
		this.url = this.postgres.createDatabase();
		this.appUser = "sg_app_" + ProcessHandle.current().pid();
		this.postgres.createDataOnlyRole(this.url, this.appUser);
	}

	@AfterEach
	void dropDataOnlyUser() throws Exception {
		this.executor.shutdownNow();
		this.executor.awaitTermination(30, TimeUnit.SECONDS);
		String database = this.url.substring(this.url.lastIndexOf('/') + 1);
		this.postgres.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)",
				"DROP ROLE IF EXISTS " + this.appUser);
	}

	@Test
	void waitsWithoutDdlRightsUntilAnotherMigratesThenStarts() throws Exception {
		Future<GateStatus.State> waiting = this.executor.submit(() -> {
			GateStatus.State[] state = new GateStatus.State[1];
			runner(this.appUser, "app").withPropertyValues("schemagate.mode=wait").run((context) -> {
				assertThat(context).hasNotFailed();
				state[0] = context.getBean(SchemaGates.class).all().get(0).status().getState();
			});
			return state[0];
		});
		Thread.sleep(3000);
		assertThat(waiting).as("waits while nothing is migrated").isNotDone();
		assertThat(this.postgres.queryLong(this.url,
				"SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).as("tables it created").isZero();
		runner(this.postgres.username(), this.postgres.password()).run((context) -> assertThat(context).hasNotFailed());
		assertThat(waiting.get(30, TimeUnit.SECONDS)).isEqualTo(GateStatus.State.UP_TO_DATE);
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM pg_tables WHERE tablename = 'int_lock' "
				+ "AND tableowner = '" + this.appUser + "'")).isZero();
	}

	@Test
	void givesUpAfterTheTimeoutNamingWhatIsMissing() {
		runner(this.appUser, "app").withPropertyValues("schemagate.mode=wait", "schemagate.wait.timeout=2s")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause()
					.isInstanceOf(SchemaNotReadyException.class)
					.hasMessageContaining("lacks 3 changesets")
					.hasMessageContaining("1-audit (test), 2-seed (test), 3-index (test)");
				FailureAnalysis analysis = FailureAnalyses.analyze(context.getStartupFailure());
				assertThat(analysis.getAction()).contains("schemagate.mode=job").contains("schemagate.wait.timeout");
			});
	}

	private ApplicationContextRunner runner(String username, String password) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					JdbcTemplateAutoConfiguration.class, LiquibaseAutoConfiguration.class,
					SchemagateAutoConfiguration.class))
			.withPropertyValues(this.postgres.applicationProperties(this.url))
			.withPropertyValues("spring.datasource.username=" + username, "spring.datasource.password=" + password);
	}

}
