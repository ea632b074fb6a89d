package dev.schemagate.autoconfigure;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringApplication;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for the settings of {@link JobMode}; the job itself runs as a process in the
 * sample's {@code ModesIT}.
 */
class JobModeTests {

	@Test
	void jobAndPlanStartNoWebServerAndOnlyTheBeansTheMigrationNeeds() {
		for (String mode : new String[] { "JOB", "plan" }) {
			StandardEnvironment environment = environment(mode);
			new JobMode.Settings().postProcessEnvironment(environment, new SpringApplication());
			assertThat(environment.getProperty("spring.main.web-application-type")).as(mode).isEqualTo("none");
			assertThat(environment.getProperty("spring.main.lazy-initialization")).as(mode).isEqualTo("true");
		}
	}

	@Test
	void planTurnsOffWhatElseWritesTheSchemaWhileTheContextStarts() {
		StandardEnvironment environment = environment("plan");
		environment.getPropertySources()
			.addLast(new MapPropertySource("writers", Map.of("spring.jpa.hibernate.ddl-auto", "validate",
					"spring.jpa.properties.hibernate.hbm2ddl.auto", "update", "spring.sql.init.mode", "always")));
		new JobMode.Settings().postProcessEnvironment(environment, new SpringApplication());
		assertThat(environment.getProperty("spring.jpa.hibernate.ddl-auto")).isEqualTo("none");
		assertThat(environment.getProperty("spring.jpa.properties.hibernate.hbm2ddl.auto")).isEqualTo("none");
		assertThat(environment.getProperty("spring.sql.init.mode")).isEqualTo("never");
		assertThat(environment.getProperty("spring.flyway.enabled")).isEqualTo("false");
	}

	@Test
	void aJobLeavesTheApplicationsSchemaWritersAsTheyAre() {
		StandardEnvironment environment = environment("job");
		environment.getPropertySources()
			.addLast(new MapPropertySource("writers", Map.of("spring.jpa.hibernate.ddl-auto", "validate")));
		new JobMode.Settings().postProcessEnvironment(environment, new SpringApplication());
		assertThat(environment.getProperty("spring.jpa.hibernate.ddl-auto")).isEqualTo("validate");
	}

	@Test
	void planWithSchemagateDisabledIsRefusedRatherThanLettingLiquibaseMigrate() {
		StandardEnvironment environment = environment("plan");
		environment.getPropertySources()
			.addFirst(new MapPropertySource("disabled", Map.of("schemagate.enabled", "false")));
		assertThatIllegalStateException()
			.isThrownBy(() -> new JobMode.Settings().postProcessEnvironment(environment, new SpringApplication()))
			.withMessageContaining("schemagate.mode=plan needs schemagate.enabled=true");
	}

	@Test
	void otherModesLeaveTheApplicationAsItIs() {
		for (String mode : new String[] { "migrate", "wait" }) {
			StandardEnvironment environment = environment(mode);
			new JobMode.Settings().postProcessEnvironment(environment, new SpringApplication());
			assertThat(environment.getProperty("spring.main.web-application-type")).as(mode).isEqualTo("servlet");
			assertThat(environment.getProperty("spring.main.lazy-initialization")).as(mode).isNull();
		}
	}

	private static StandardEnvironment environment(String mode) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources()
			.addLast(new MapPropertySource("application",
					Map.of("schemagate.mode", mode, "spring.main.web-application-type", "servlet")));
		return environment;
	}

}
