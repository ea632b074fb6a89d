package dev.schemagate.autoconfigure;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.schemagate.test.FailureAnalyses;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceInitializationAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Tests for 'job' and 'plan' as an application runs them, in this JVM: they end through
 * Spring Boot's exit machinery, so that the run returns with the context closed, or fails with
 * the exit code Spring Boot gives the JVM, and no runner of the application runs. The sample's
 * {@code ModesIT} runs them as processes.
 */
@ExtendWith(OutputCaptureExtension.class)
class RunOnceModesTests {

	private static final AtomicInteger runnerRuns = new AtomicInteger();

	private static final AtomicInteger schemaUsers = new AtomicInteger();

	private final TestPostgres postgres = TestPostgres.get();

	private String url;

	@BeforeEach
	void createDatabase() {
		this.url = this.postgres.createDatabase();
		runnerRuns.set(0);
		schemaUsers.set(0);
	}

	@Test
	void planPrintsChangesNothingAndClosesTheContextThoughTheApplicationHasASchemaWriter(CapturedOutput output)
			throws Exception {
		ConfigurableApplicationContext context = run(ApplicationWithSchemaWriter.class, "--schemagate.mode=plan",
				"--spring.sql.init.mode=always", "--spring.sql.init.schema-locations=classpath:db/test/schema-writer.sql");
		assertThat(context.isActive()).isFalse();
		assertThat(output).contains("schemagate plan for 'liquibase' (classpath:db/test/changelog.xml): "
				+ "3 changesets to apply")
			.contains("schemagate plan: nothing was changed");
		assertThat(runnerRuns).hasValue(0);
		// created, as a JPA EntityManagerFactory is in any context, after the plan
		assertThat(schemaUsers).hasValue(1);
		assertThat(this.postgres.queryString(this.url,
				"SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'"))
			.isNull();
	}

	@Test
	void theSchemaWriterRunsWhenTheSameApplicationMigrates() throws Exception {
		run(ApplicationWithSchemaWriter.class, "--schemagate.mode=job", "--spring.sql.init.mode=always",
				"--spring.sql.init.schema-locations=classpath:db/test/schema-writer.sql");
		assertThat(this.postgres.queryLong(this.url,
				"SELECT count(*) FROM pg_tables WHERE tablename IN ('written_at_start', 'audit')"))
			.isEqualTo(2);
	}

	@Test
	void planWhoseMigrationTheCheckWouldRefuseEndsWithExitCodeTwo(CapturedOutput output) throws Exception {
		run(Application.class, "--schemagate.mode=job");
		Throwable failure = catchThrowable(() -> run(Application.class, "--schemagate.mode=plan",
				"--schemagate.check.mode=fail", "--spring.liquibase.change-log=classpath:db/test/unsafe-v2.xml"));
		assertThat(failure).isInstanceOfSatisfying(RunOnceExitException.class,
				(exit) -> assertThat(exit.getExitCode()).isEqualTo(2));
		assertThat(output).contains("on 1 unsafe change, as schemagate.check.mode=fail");
		assertThat(FailureAnalyses.analyze(failure).getAction()).contains("schemagate:allow=");
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangelog")).isEqualTo(3);
	}

	@Test
	void aPlanOfAnApplicationWithoutLiquibaseSaysSoAndEnds(CapturedOutput output) throws Exception {
		ConfigurableApplicationContext context = run(ApplicationWithoutLiquibase.class, "--schemagate.mode=plan");
		assertThat(context.isActive()).isFalse();
		assertThat(output).contains("schemagate plan: no Liquibase migration to plan")
			.doesNotContain("schemagate job:");
	}

	@Test
	void aPlanStillHearsTheApplicationsExitCodeGenerator() {
		Throwable failure = catchThrowable(() -> run(ApplicationWithExitCode.class, "--schemagate.mode=plan"));
		assertThat(failure).isInstanceOfSatisfying(RunOnceExitException.class,
				(exit) -> assertThat(exit.getExitCode()).isEqualTo(3));
	}

	@Test
	void jobMigratesPrintsItsSummaryAndClosesTheContextWithoutRunningTheApplicationsRunners(CapturedOutput output)
			throws Exception {
		ConfigurableApplicationContext context = run(Application.class, "--schemagate.mode=job");
		assertThat(context.isActive()).isFalse();
		assertThat(runnerRuns).hasValue(0);
		assertThat(output).contains("schemagate job: applied 3 changesets, up to 3-index")
			.contains("schemagate job: the application's runners [recordingRunner] do not run");
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit")).isOne();
		// a second job finds the schema up to date
		run(Application.class, "--schemagate.mode=job");
		assertThat(output).contains("schemagate job: already up to date, up to 3-index");
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit")).isOne();
	}

	@Test
	void jobWhoseContractChangesetFailsEndsWithExitCodeOne(CapturedOutput output) {
		Throwable failure = catchThrowable(() -> run(Application.class, "--schemagate.mode=job",
				"--spring.liquibase.change-log=classpath:db/test/contract-failing.xml"));
		assertThat(failure).isInstanceOfSatisfying(RunOnceExitException.class,
				(exit) -> assertThat(exit.getExitCode()).isOne());
		assertThat(output).contains("schemagate job: applied 4 changesets, up to 5-remark, 1 contract changeset "
				+ "[6-drop-note] not applied");
		assertThat(FailureAnalyses.analyze(failure).getAction()).contains("Fix what the job's summary line names");
		assertThat(runnerRuns).hasValue(0);
	}

	@Test
	void anExitCodeGeneratorOfTheApplicationStillCounts() {
		Throwable failure = catchThrowable(
				() -> run(ApplicationWithExitCode.class, "--schemagate.mode=job"));
		assertThat(failure).isInstanceOfSatisfying(RunOnceExitException.class, (exit) -> {
			assertThat(exit.getExitCode()).isEqualTo(3);
			assertThat(exit).hasMessageContaining("gave exit code 3");
		});
	}

	// off the main thread, where Spring Boot would turn an exit code into System.exit
	private ConfigurableApplicationContext run(Class<?> application, String... args) throws Exception {
		Map<String, String> properties = new LinkedHashMap<>();
		for (String property : this.postgres.applicationProperties(this.url)) {
			properties.put(property.substring(0, property.indexOf('=')), property.substring(property.indexOf('=') + 1));
		}
		for (String arg : args) {
			properties.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
		}
		List<String> arguments = new ArrayList<>();
		properties.forEach((name, value) -> arguments.add("--" + name + "=" + value));
		try {
			return CompletableFuture
				.supplyAsync(() -> new SpringApplicationBuilder(application).run(arguments.toArray(String[]::new)))
				.get(60, TimeUnit.SECONDS);
		}
		catch (java.util.concurrent.ExecutionException | CompletionException ex) {
			throw (ex.getCause() instanceof Exception cause) ? cause : ex;
		}
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ DataSourceAutoConfiguration.class, LiquibaseAutoConfiguration.class,
			SchemagateAutoConfiguration.class })
	static class Application {

		@Bean
		ApplicationRunner recordingRunner() {
			return (args) -> runnerRuns.incrementAndGet();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ DataSourceAutoConfiguration.class, DataSourceInitializationAutoConfiguration.class,
			LiquibaseAutoConfiguration.class, SchemagateAutoConfiguration.class })
	static class ApplicationWithSchemaWriter {

		@Bean
		ApplicationRunner recordingRunner() {
			return (args) -> runnerRuns.incrementAndGet();
		}

		@Bean
		SchemaUser schemaUser() {
			return new SchemaUser();
		}

	}

	/**
	 * A bean that uses the schema once it is initialised and that Spring Boot keeps eager in a
	 * lazy context, as it keeps a JPA {@code EntityManagerFactory}.
	 */
	@DependsOnDatabaseInitialization
	static class SchemaUser implements SmartInitializingSingleton {

		SchemaUser() {
			schemaUsers.incrementAndGet();
		}

		@Override
		public void afterSingletonsInstantiated() {
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ DataSourceAutoConfiguration.class, SchemagateAutoConfiguration.class })
	static class ApplicationWithoutLiquibase {

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ DataSourceAutoConfiguration.class, LiquibaseAutoConfiguration.class,
			SchemagateAutoConfiguration.class })
	static class ApplicationWithExitCode {

		@Bean
		ExitCodeGenerator applicationExitCode() {
			return () -> 3;
		}

	}

}
