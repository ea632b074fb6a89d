package dev.schemagate.autoconfigure;

import java.util.Set;

/**
 * Stops the start of an application in 'plan' mode ({@code schemagate.mode=plan}) once
 * every Liquibase bean's plan is printed: the beans that follow, such as a JPA
 * {@code EntityManagerFactory} validating the schema, would find it not migrated. The
 * application exits with 0.
 */
class PlanPrintedException extends RuntimeException {

	PlanPrintedException(Set<String> planned) {
		super("schemagate printed the plan of " + String.join(", ", planned)
				+ " and stops the application here, changing nothing, as schemagate.mode=plan");
	}

}
