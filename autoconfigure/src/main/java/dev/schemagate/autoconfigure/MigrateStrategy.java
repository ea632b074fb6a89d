package dev.schemagate.autoconfigure;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import liquibase.integration.spring.SpringLiquibase;

/**
 * 'migrate', the default: every instance migrates through the gate at start, and applies
 * the contract changesets and downgrades no live instance holds back while it serves.
 */
final class MigrateStrategy implements StartStrategy {

	private final GatedStart gated;

	MigrateStrategy(GatedStart gated) {
		this.gated = gated;
	}

	@Override
	public void start(String beanName, SpringLiquibase liquibase) {
		this.gated.start(beanName, liquibase, (start) -> start.gate().run(start.migration()));
	}

	@Override
	public void check(SchemaGate gate) {
		gate.contracts().applyIfAllowed();
		gate.downgrade().applyIfAllowed(gate::aheadChangesets);
	}

}
