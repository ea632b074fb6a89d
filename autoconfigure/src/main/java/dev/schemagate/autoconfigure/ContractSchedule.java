package dev.schemagate.autoconfigure;

import java.time.Duration;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;

/**
 * Once the application is ready, checks every {@code schemagate.contract.check-interval}
 * whether each gated Liquibase bean's contract changesets may be applied, and applies them,
 * and, with {@code schemagate.downgrade.enabled}, whether the changesets a newer version
 * applied may be rolled back, and rolls them back; in 'wait' mode, where another process
 * migrates, only reads which contract changesets are pending and who holds them back.
 */
class ContractSchedule implements ApplicationListener<ApplicationReadyEvent>, DisposableBean {

	private final SchemaGates gates;

	private final boolean apply;

	private final Periodic schedule;

	ContractSchedule(SchemaGates gates, Duration interval, boolean apply) {
		this.gates = gates;
		this.apply = apply;
		this.schedule = new Periodic("schemagate-contracts", interval, this::check);
	}

	@Override
	public void onApplicationEvent(ApplicationReadyEvent event) {
		this.schedule.start();
	}

	void check() {
		for (SchemaGate gate : this.gates.all()) {
			if (this.apply) {
				gate.contracts().applyIfAllowed();
				gate.downgrade().applyIfAllowed(gate::aheadChangesets);
			}
			else {
				gate.contracts().observe();
			}
		}
	}

	@Override
	public void destroy() {
		this.schedule.stop();
	}

}
