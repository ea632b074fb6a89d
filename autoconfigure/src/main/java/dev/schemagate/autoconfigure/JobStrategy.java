package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.liquibase.LiquibaseSelection;
import dev.schemagate.status.GateStatus;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * 'job': migrates through the gate as 'migrate' does, then, once the context has started,
 * applies the contract changesets and downgrades no live instance holds back, prints a
 * one-line summary and ends the application: 0 when it migrated, 1 when a contract
 * changeset or a downgrade failed (one held back by a live instance is no failure).
 */
final class JobStrategy implements StartStrategy {

	private static final Log logger = LogFactory.getLog(JobStrategy.class);

	private final MigrateStrategy migrate;

	JobStrategy(MigrateStrategy migrate) {
		this.migrate = migrate;
	}

	@Override
	public void start(LiquibaseSelection selection) {
		this.migrate.start(selection);
	}

	// the job applies them once, when it finishes
	@Override
	public void check(SchemaGate gate) {
	}

	@Override
	public OptionalInt finish(List<SchemaGate> gates, Duration took) {
		for (SchemaGate gate : gates) {
			if (gate.status().getState() != GateStatus.State.FAILED) {
				// what a serving instance does on its schedule, done once
				this.migrate.check(gate);
			}
		}
		logger.info(JobMode.summary(gates, took));
		// contract changesets held back are left for a later job: they wait by design
		boolean failed = gates.stream()
			.anyMatch((gate) -> gate.status().getState() == GateStatus.State.FAILED
					|| gate.contracts().lastError() != null || gate.downgrade().lastError() != null);
		return OptionalInt.of(failed ? 1 : 0);
	}

}
