package dev.schemagate.autoconfigure;

import java.time.Duration;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.gate.SchemaWait;
import dev.schemagate.liquibase.LiquibaseSelection;

/**
 * 'wait': the instance never migrates, needs no DDL rights, and starts once the schema holds
 * every changeset of its changelog; while it serves it only reads which contract changesets
 * are pending, another process applying them.
 */
final class WaitStrategy implements StartStrategy {

	private final GatedStart gated;

	private final Duration timeout;

	WaitStrategy(GatedStart gated, Duration timeout) {
		this.gated = gated;
		this.timeout = timeout;
	}

	@Override
	public void start(LiquibaseSelection selection) {
		this.gated.start(selection,
				(start) -> new SchemaWait(start.migration().dataSource(), this.timeout, start.listener(),
						start.shutdown())
					.await(start.migration()));
	}

	@Override
	public void check(SchemaGate gate) {
		gate.contracts().observe();
	}

}
