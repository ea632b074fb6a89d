package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;

/**
 * Once the application is ready, checks every {@code schemagate.contract.check-interval}
 * whether each gated Liquibase bean's contract changesets may be applied, and applies them;
 * in 'wait' mode, where another process migrates, only reads which are pending and who
 * holds them back.
 */
class ContractSchedule implements ApplicationListener<ApplicationReadyEvent>, DisposableBean {

	private final SchemaGates gates;

	private final Duration interval;

	private final boolean apply;

	private ScheduledExecutorService scheduler;

	ContractSchedule(SchemaGates gates, Duration interval, boolean apply) {
		this.gates = gates;
		this.interval = interval;
		this.apply = apply;
	}

	@Override
	public synchronized void onApplicationEvent(ApplicationReadyEvent event) {
		if (this.scheduler != null || this.interval.isZero() || this.interval.isNegative()) {
			return;
		}
		this.scheduler = Executors.newSingleThreadScheduledExecutor((runnable) -> {
			Thread thread = new Thread(runnable, "schemagate-contracts");
			thread.setDaemon(true);
			return thread;
		});
		this.scheduler.scheduleWithFixedDelay(this::check, 0, this.interval.toMillis(), TimeUnit.MILLISECONDS);
	}

	void check() {
		for (SchemaGate gate : this.gates.all()) {
			if (this.apply) {
				gate.contracts().applyIfAllowed();
			}
			else {
				gate.contracts().observe();
			}
		}
	}

	@Override
	public synchronized void destroy() {
		if (this.scheduler != null) {
			this.scheduler.shutdownNow();
		}
	}

}
