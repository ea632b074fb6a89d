package dev.schemagate.autoconfigure.health;

import dev.schemagate.autoconfigure.SchemaGates;
import dev.schemagate.autoconfigure.SchemagateAutoConfiguration;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * {@link EnableAutoConfiguration Auto-configuration} for the {@code schemagate} health
 * indicator.
 */
@AutoConfiguration(after = SchemagateAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(SchemaGates.class)
@ConditionalOnEnabledHealthIndicator("schemagate")
public final class SchemagateHealthAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "schemagateHealthIndicator")
	SchemagateHealthIndicator schemagateHealthIndicator(SchemaGates gates) {
		return new SchemagateHealthIndicator(gates);
	}

}
