package dev.schemagate.autoconfigure;

import javax.sql.DataSource;

import dev.schemagate.status.GateListener;
import liquibase.integration.spring.SpringLiquibase;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.LazyInitializationExcludeFilter;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.info.BuildProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
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

	// the one place where the mode is decided
	@Bean
	StartStrategy schemagateStartStrategy(SchemagateProperties properties, SchemaGates schemaGates,
			ObjectProvider<GateListener> listeners, ObjectProvider<BuildProperties> buildProperties,
			ObjectProvider<DataSource> dataSources, Environment environment) {
		if (properties.getMode() == SchemagateProperties.Mode.PLAN) {
			return new PlanStrategy(properties.getCheck().getMode());
		}
		GatedStart gated = new GatedStart(properties, schemaGates, listeners, buildProperties, dataSources,
				environment);
		return switch (properties.getMode()) {
			case JOB -> new JobStrategy(new MigrateStrategy(gated));
			case WAIT -> new WaitStrategy(gated, properties.getWait().getTimeout());
			default -> new MigrateStrategy(gated);
		};
	}

	// the strategy comes lazily, once every post-processor is registered
	@Bean
	static LiquibaseGatePostProcessor schemagateLiquibaseGate(ObjectProvider<StartStrategy> strategy) {
		return new LiquibaseGatePostProcessor(strategy);
	}

	// in 'job' and 'plan' mode the context is lazy: the migration must still run
	@Bean
	static LazyInitializationExcludeFilter schemagateEagerLiquibase() {
		return LazyInitializationExcludeFilter.forBeanTypes(SpringLiquibase.class);
	}

	@Bean
	ContractSchedule schemagateContracts(SchemaGates schemaGates, StartStrategy strategy,
			SchemagateProperties properties) {
		return new ContractSchedule(schemaGates, strategy, properties.getContract().getCheckInterval());
	}

	@Bean
	SchemaReadiness schemagateReadiness(SchemaGates schemaGates, ApplicationEventPublisher publisher,
			ObjectProvider<ApplicationAvailability> availability, SchemagateProperties properties) {
		return new SchemaReadiness(schemaGates, publisher, availability, properties.getReadiness().getCheckInterval(),
				properties.getSchemaAhead());
	}

}
