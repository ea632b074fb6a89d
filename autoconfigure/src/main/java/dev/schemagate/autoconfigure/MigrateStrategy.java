package dev.schemagate.autoconfigure;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.liquibase.LiquibaseSelection;

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
	public void start(LiquibaseSelection selection) {
		this.gated.start(selection, (start) -> start.gate().run(start.migration()));
	}

	@Override
	public void check(SchemaGate gate) {
		gate.contracts().applyIfAllowed();
		gate.downgrade().applyIfAllowed(gate::aheadChangesets);
	}

}
