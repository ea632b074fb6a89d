package dev.schemagate.autoconfigure;

import java.util.Set;

/**
 * Stops the start of an application in 'plan' mode ({@code schemagate.mode=plan}) once
 * every Liquibase bean's plan is printed: the beans that follow, such as a JPA
 * {@code EntityManagerFactory} validating the schema, would find it not migrated. The
 * application exits with 0, or with 2 when the changeset check would refuse the migration.
 */
class PlanPrintedException extends RuntimeException {

	private final int refusedChanges;

	PlanPrintedException(Set<String> planned, int refusedChanges) {
		super("schemagate printed the plan of " + String.join(", ", planned)
				+ " and stops the application here, changing nothing, as schemagate.mode=plan");
		this.refusedChanges = refusedChanges;
	}

	/**
	 * Returns how many unsafe changes the plan holds that {@code schemagate.check.mode=fail}
	 * would refuse to apply.
	 * @return the number of changes, zero when the migration would go ahead
	 */
	int getRefusedChanges() {
		return this.refusedChanges;
	}

}
