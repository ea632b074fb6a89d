package dev.schemagate.autoconfigure.endpoint;

import dev.schemagate.autoconfigure.SchemaGates;
import dev.schemagate.autoconfigure.SchemagateAutoConfiguration;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * {@link EnableAutoConfiguration Auto-configuration} for the {@link SchemagateEndpoint}.
 */
@AutoConfiguration(after = SchemagateAutoConfiguration.class)
@ConditionalOnClass({ SchemagateEndpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBean(SchemaGates.class)
@ConditionalOnAvailableEndpoint(SchemagateEndpoint.class)
public final class SchemagateEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	SchemagateEndpoint schemagateEndpoint(SchemaGates gates) {
		return new SchemagateEndpoint(gates);
	}

}
