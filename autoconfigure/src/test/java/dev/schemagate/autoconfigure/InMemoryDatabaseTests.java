package dev.schemagate.autoconfigure;

import java.nio.file.Path;
import java.util.UUID;

import dev.schemagate.database.UnsupportedDatabaseException;
import dev.schemagate.test.FailureAnalyses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application's own tests on an in-memory database keep working with the starter: nothing
 * to coordinate inside one JVM, so Liquibase runs as Spring Boot runs it. Other databases
 * that are not PostgreSQL are refused with a clear error.
 */
@ExtendWith(OutputCaptureExtension.class)
class InMemoryDatabaseTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
				LiquibaseAutoConfiguration.class, SchemagateAutoConfiguration.class))
		.withPropertyValues("spring.liquibase.change-log=classpath:db/test/in-memory.xml",
				"spring.liquibase.analytics-enabled=false");

	@Test
	void inMemoryDatabaseIsMigratedByLiquibaseAlone(CapturedOutput output) {
		this.contextRunner.withPropertyValues("spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID())
			.run((context) -> {
				assertThat(context).hasNotFailed();
				JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
				assertThat(jdbc.queryForObject("SELECT count(*) FROM audit", Integer.class)).isOne();
				assertThat(jdbc.queryForObject("SELECT count(*) FROM databasechangelog", Integer.class)).isEqualTo(2);
				assertThat(context.getBean(SchemaGates.class).all()).isEmpty();
				assertThat(output).contains("'liquibase' migrates an in-memory database of this JVM");
			});
	}

	@Test
	void databaseOnDiskThatIsNotPostgresqlIsRefused(@TempDir Path directory) {
		this.contextRunner.withPropertyValues("spring.datasource.url=jdbc:h2:file:" + directory.resolve("app"))
			.run((context) -> assertRefused(context));
	}

	@Test
	void migratedDatabaseOnDiskThatIsNotPostgresqlIsRefusedToo(@TempDir Path directory) {
		ApplicationContextRunner onDisk = this.contextRunner
			.withPropertyValues("spring.datasource.url=jdbc:h2:file:" + directory.resolve("app"));
		onDisk.withPropertyValues("schemagate.enabled=false").run((context) -> assertThat(context).hasNotFailed());
		// the lock-free check would find it up to date: the database is refused before it
		onDisk.run((context) -> assertRefused(context));
	}

	private static void assertRefused(AssertableApplicationContext context) {
		assertThat(context).hasFailed()
			.getFailure()
			.rootCause()
			.isInstanceOf(UnsupportedDatabaseException.class)
			.hasMessageContaining("schemagate needs PostgreSQL, MariaDB or MySQL")
			.hasMessageContaining("the migration database is H2");
		FailureAnalysis analysis = FailureAnalyses.analyze(context.getStartupFailure());
		assertThat(analysis.getDescription()).isEqualTo(
				"The migration database is H2, but schemagate fences migrations with the session locks of "
						+ "PostgreSQL, MariaDB or MySQL only.");
		assertThat(analysis.getAction()).contains("spring.liquibase.url").contains("schemagate.enabled=false");
	}

}
