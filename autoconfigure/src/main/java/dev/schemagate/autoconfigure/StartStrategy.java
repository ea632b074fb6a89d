package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.liquibase.LiquibaseSelection;

/**
 * What an instance does with each Liquibase bean, one implementation per
 * {@code schemagate.mode}, chosen once by the auto-configuration, as Spring Boot chooses a
 * migration strategy for Flyway: migrate through the gate, wait for another instance to,
 * migrate once as a job, or plan.
 */
interface StartStrategy {

	/**
	 * Runs, waits for or plans the migration of a Liquibase bean, in place of the bean's own
	 * initialisation.
	 * @param selection what the bean migrates, read from it once: the bean is never written
	 */
	void start(LiquibaseSelection selection);

	/**
	 * What a serving instance does with a gate at each check of the contract schedule: apply
	 * the contract changesets and downgrades no live instance holds back, or only read them.
	 * @param gate the gate
	 */
	void check(SchemaGate gate);

	/**
	 * Ends the work of a mode that runs once, after the application context started.
	 * @param gates the gates the start ran
	 * @param took how long the application has run
	 * @return the exit code, empty for a mode that serves
	 */
	default OptionalInt finish(List<SchemaGate> gates, Duration took) {
		return OptionalInt.empty();
	}

}
