package dev.schemagate.autoconfigure;

import java.util.LinkedHashSet;
import java.util.Set;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.liquibase.LiquibasePlan;
import dev.schemagate.liquibase.LiquibasePlan.Plan;
import dev.schemagate.liquibase.LiquibaseSelection;
import liquibase.integration.spring.SpringLiquibase;

import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.ListableBeanFactory;

/**
 * 'plan': changes nothing. Prints each Liquibase bean's pending changesets and the SQL
 * Liquibase would run for them, on standard output so that it reads as the SQL it is, then
 * stops the start with {@link PlanPrintedException}: the beans that follow (a JPA
 * {@code EntityManagerFactory} validating the schema, or updating it) would find the schema
 * not migrated, or change it. A lazy context does not keep them out: Spring creates every
 * {@code LoadTimeWeaverAware} bean, as a JPA {@code EntityManagerFactory} is, before the
 * others in any context, and Spring Boot keeps a {@code SmartInitializingSingleton}, as it
 * also is, eager.
 */
final class PlanStrategy implements StartStrategy {

	private final SchemagateProperties.Check.Mode checkMode;

	private final ListableBeanFactory beanFactory;

	private final Set<String> planned = new LinkedHashSet<>();

	private int refusedChanges;

	PlanStrategy(SchemagateProperties.Check.Mode checkMode, ListableBeanFactory beanFactory) {
		this.checkMode = checkMode;
		this.beanFactory = beanFactory;
	}

	// every Liquibase bean is planned, then the start stops
	@Override
	public void start(LiquibaseSelection selection) {
		boolean first = this.planned.isEmpty();
		plan(selection);
		if (first) {
			for (String other : this.beanFactory.getBeanNamesForType(SpringLiquibase.class, true, false)) {
				if (!this.planned.contains(other)) {
					this.beanFactory.getBean(other, SpringLiquibase.class);
				}
			}
			throw new PlanPrintedException(this.planned, this.refusedChanges);
		}
	}

	private void plan(LiquibaseSelection selection) {
		String beanName = selection.beanName();
		this.planned.add(beanName);
		try {
			Plan plan = new LiquibasePlan(selection, this.checkMode != SchemagateProperties.Check.Mode.OFF).read();
			if (this.checkMode == SchemagateProperties.Check.Mode.FAIL) {
				this.refusedChanges += (int) plan.findings().stream().filter((finding) -> !finding.allowed()).count();
			}
			System.out.print(PlanReport.of(beanName, selection.changeLog(), plan));
			System.out.flush();
		}
		catch (Exception ex) {
			throw new BeanCreationException(beanName, "Planning the migration failed: " + ex.getMessage(), ex);
		}
	}

	// a plan applies nothing, on a schedule or otherwise
	@Override
	public void check(SchemaGate gate) {
	}

}
