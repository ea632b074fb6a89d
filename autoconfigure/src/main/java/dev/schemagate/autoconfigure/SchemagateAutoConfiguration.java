package dev.schemagate.autoconfigure;

import dev.schemagate.gate.GateListener;
import liquibase.integration.spring.SpringLiquibase;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.LazyInitializationExcludeFilter;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;

/**
 * {@link EnableAutoConfiguration Auto-configuration} that runs Liquibase migrations under
 * a fleet-wide lock, so that exactly one instance migrates while the others wait.
 */
@AutoConfiguration(afterName = { "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
		"org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration" })
@ConditionalOnClass({ SpringLiquibase.class, JdbcLockRegistry.class })
@ConditionalOnBooleanProperty(name = "schemagate.enabled", matchIfMissing = true)
@ConditionalOnBean(SpringLiquibase.class)
@EnableConfigurationProperties(SchemagateProperties.class)
public final class SchemagateAutoConfiguration {

	@Bean
	SchemaGates schemaGates() {
		return new SchemaGates();
	}

	// beans a post-processor needs come lazily, once every post-processor is registered
	@Bean
	static LiquibaseGatePostProcessor schemagateLiquibaseGate(ObjectProvider<SchemagateProperties> properties,
			ObjectProvider<SchemaGates> schemaGates, ObjectProvider<GateListener> listeners) {
		return new LiquibaseGatePostProcessor(properties, schemaGates, listeners);
	}

	// in 'job' mode the context is lazy: the migration must still run
	@Bean
	static LazyInitializationExcludeFilter schemagateEagerLiquibase() {
		return LazyInitializationExcludeFilter.forBeanTypes(SpringLiquibase.class);
	}

	@Bean
	ContractSchedule schemagateContracts(SchemaGates schemaGates, SchemagateProperties properties) {
		return new ContractSchedule(schemaGates, properties.getContract().getCheckInterval(),
				properties.getMode() != SchemagateProperties.Mode.WAIT);
	}

	@Bean
	SchemaReadiness schemagateReadiness(SchemaGates schemaGates, ApplicationEventPublisher publisher,
			ObjectProvider<ApplicationAvailability> availability, SchemagateProperties properties) {
		return new SchemaReadiness(schemaGates, publisher, availability, properties.getReadiness().getCheckInterval(),
				properties.getSchemaAhead());
	}

}
