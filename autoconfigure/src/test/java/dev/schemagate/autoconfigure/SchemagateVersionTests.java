package dev.schemagate.autoconfigure;

import java.util.Properties;
import java.util.UUID;

import dev.schemagate.test.TestPostgres;
import liquibase.util.LiquibaseUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The versions a jar names as built and tested with are the ones its tests run on: run by the
 * main build on Spring Boot 4.0 and by the compatibility builds on 4.1 with Liquibase 5 and 4,
 * each must find what it runs on in the list, and the PostgreSQL of the run (embedded, or the
 * configured server of CI) too.
 */
@ExtendWith(OutputCaptureExtension.class)
class SchemagateVersionTests {

	private final SchemagateVersion current = SchemagateVersion.current();

	@Test
	void namesTheVersionThisBuildMade() {
		assertThat(this.current.version()).isEqualTo(System.getProperty("schemagate.expected-version"))
			.doesNotContain("${");
	}

	@Test
	void springBootAndLiquibaseTheTestsRunOnAreNamedAsTested() {
		assertThat(this.current.testedSpringBoot()).contains(SpringBootVersion.getVersion());
		assertThat(this.current.testedLiquibase()).contains(LiquibaseUtil.getBuildVersion());
		assertThat(this.current.untested(SpringBootVersion.getVersion(), LiquibaseUtil.getBuildVersion())).isNull();
	}

	@Test
	void builtWithVersionsAreTestedOnes() {
		assertThat(this.current.builtWith()).matches("Spring Boot [0-9.]+ and Liquibase [0-9.]+");
		String springBoot = this.current.builtWith().split(" ")[2];
		assertThat(this.current.testedSpringBoot()).contains(springBoot);
		assertThat(this.current.testedLiquibase()).contains(this.current.builtWith().split(" ")[5]);
	}

	@Test
	void postgresqlTheTestsRunOnIsNamedAsTested() throws Exception {
		TestPostgres postgres = TestPostgres.get();
		long version = postgres.queryLong(postgres.createDatabase(), "SELECT current_setting('server_version_num')::int");
		assertThat(this.current.testedPostgresql()).contains(String.valueOf(version / 10000));
	}

	@Test
	void untestedNamesWhatNoTestedVersionSharesAMinorLineWith() {
		Properties properties = new Properties();
		properties.setProperty("version", "1.2.3");
		properties.setProperty("tested-with.spring-boot", "4.0.7, 4.1.2");
		properties.setProperty("tested-with.liquibase", "4.33.0, 5.0.4");
		SchemagateVersion version = new SchemagateVersion(properties);
		assertThat(version.untested("4.0.9", "5.0.1")).isNull();
		assertThat(version.untested("4.1.0-RC1", "4.33.0")).isNull();
		assertThat(version.untested("4.2.0", "4.33.0")).isEqualTo("Spring Boot 4.2.0");
		assertThat(version.untested("4.2.0", "4.31.1")).isEqualTo("Spring Boot 4.2.0 and Liquibase 4.31.1");
		assertThat(version.untested("4.0.7", "4.31.1")).isEqualTo("Liquibase 4.31.1");
		assertThat(version.untested(null, null)).isNull();
	}

	@Test
	void startLogSaysWhichVersionRunsOnWhat(CapturedOutput output) {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LiquibaseAutoConfiguration.class, SchemagateAutoConfiguration.class))
			.withPropertyValues("spring.liquibase.change-log=classpath:db/test/in-memory.xml",
					"spring.liquibase.analytics-enabled=false", "spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID())
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(output).contains("schemagate " + System.getProperty("schemagate.expected-version")
						+ " on Spring Boot " + SpringBootVersion.getVersion() + " and Liquibase "
						+ LiquibaseUtil.getBuildVersion() + " (built with " + this.current.builtWith()
						+ "; tested with Spring Boot " + String.join(", ", this.current.testedSpringBoot()));
				assertThat(output).doesNotContain("was not tested with");
			});
	}

}
