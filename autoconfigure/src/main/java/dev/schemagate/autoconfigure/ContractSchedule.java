package dev.schemagate.autoconfigure;

import java.time.Duration;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;

/**
 * Once the application is ready, has the mode check each gated Liquibase bean every
 * {@code schemagate.contract.check-interval}: in 'migrate' mode whether its contract
 * changesets may be applied, and, with {@code schemagate.downgrade.enabled}, whether the
 * changesets a newer version applied may be rolled back, applying what may; in 'wait' mode,
 * where another process migrates, only which contract changesets are pending and who holds
 * them back.
 */
class ContractSchedule implements ApplicationListener<ApplicationReadyEvent>, DisposableBean {

	private final SchemaGates gates;

	private final StartStrategy strategy;

	private final Periodic schedule;

	ContractSchedule(SchemaGates gates, StartStrategy strategy, Duration interval) {
		this.gates = gates;
		this.strategy = strategy;
		this.schedule = new Periodic("schemagate-contracts", interval, this::check);
	}

	@Override
	public void onApplicationEvent(ApplicationReadyEvent event) {
		this.schedule.start();
	}

	void check() {
		for (SchemaGate gate : this.gates.all()) {
			this.strategy.check(gate);
		}
	}

	@Override
	public void destroy() {
		this.schedule.stop();
	}

}
