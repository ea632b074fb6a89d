package dev.schemagate.autoconfigure;

import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application without actuator or Micrometer: the build runs this class alone on a
 * classpath without them (see the {@code without-actuator} Surefire execution), through
 * {@code @EnableAutoConfiguration} as an application imports schemagate.
 */
class WithoutActuatorTests {

	private final TestPostgres postgres = TestPostgres.get();

	@Test
	void migratesWithoutActuatorOrMicrometer() {
		assertThat(ClassUtils.isPresent("org.springframework.boot.health.contributor.HealthIndicator", null))
			.as("spring-boot-health on the classpath").isFalse();
		assertThat(ClassUtils.isPresent("org.springframework.boot.actuate.endpoint.annotation.Endpoint", null))
			.as("spring-boot-actuator on the classpath").isFalse();
		assertThat(ClassUtils.isPresent("io.micrometer.core.instrument.MeterRegistry", null))
			.as("micrometer-core on the classpath").isFalse();
		String url = this.postgres.createDatabase();
		new ApplicationContextRunner().withUserConfiguration(AutoConfigured.class)
			.withPropertyValues(this.postgres.applicationProperties(url))
			.withPropertyValues("management.endpoints.web.exposure.include=*")
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(SchemaGates.class);
				assertThat(context.getBean(SchemaGates.class).all()).hasSize(1);
				assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM audit")).isOne();
			});
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class AutoConfigured {

	}

}
