package dev.schemagate.autoconfigure.metrics;

import java.util.concurrent.TimeUnit;

import dev.schemagate.autoconfigure.SchemaGates;
import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.status.GateStatus;
import dev.schemagate.status.GateStatus.State;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Meters of each gate, tagged with the Liquibase bean's name ({@code gate}). They read the
 * gate's status when published, so they are right whether the registry exists before the
 * migration runs or only after.
 * <ul>
 * <li>{@code schemagate.lock.wait}: time this instance waited for the gate</li>
 * <li>{@code schemagate.migration}: time it held the gate to migrate, tagged
 * {@code outcome} ({@code success} or {@code failure}, the time until it failed)</li>
 * <li>{@code schemagate.changesets.applied}: changesets this instance applied</li>
 * <li>{@code schemagate.changesets.pending}: changesets still pending</li>
 * <li>{@code schemagate.leader}: 1 if this instance led a migration (took the lock to
 * migrate rather than finding the schema up to date), whether or not it applied a changeset,
 * else 0</li>
 * </ul>
 */
public class SchemagateMetrics implements MeterBinder {

	private final SchemaGates gates;

	public SchemagateMetrics(SchemaGates gates) {
		this.gates = gates;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		for (SchemaGate gate : this.gates.all()) {
			bind(registry, gate.name(), gate.status());
		}
	}

	static void bind(MeterRegistry registry, String name, GateStatus status) {
		FunctionTimer.builder("schemagate.lock.wait", status, (s) -> s.getAcquiredAt().isPresent() ? 1 : 0,
				(s) -> s.getWaited().toMillis(), TimeUnit.MILLISECONDS)
			.description("Time this instance waited for the schema migration lock")
			.tag("gate", name)
			.register(registry);
		FunctionTimer.builder("schemagate.migration", status, (s) -> succeeded(s) ? 1 : 0,
				(s) -> succeeded(s) ? s.getHeld().map((held) -> held.toMillis()).orElse(0L) : 0,
				TimeUnit.MILLISECONDS)
			.description("Time this instance held the schema migration lock to migrate")
			.tags("gate", name, "outcome", "success")
			.register(registry);
		FunctionTimer.builder("schemagate.migration", status, (s) -> (s.getState() == State.FAILED) ? 1 : 0,
				(s) -> (s.getState() == State.FAILED) ? s.getHeld().map((held) -> held.toMillis()).orElse(0L) : 0,
				TimeUnit.MILLISECONDS)
			.description("Time this instance held the schema migration lock to migrate")
			.tags("gate", name, "outcome", "failure")
			.register(registry);
		FunctionCounter.builder("schemagate.changesets.applied", status, (s) -> s.getApplied().size())
			.description("Changesets this instance applied")
			.tag("gate", name)
			.register(registry);
		Gauge.builder("schemagate.changesets.pending", status, GateStatus::getPending)
			.description("Changesets of this instance's changelog still pending")
			.tag("gate", name)
			.register(registry);
		Gauge.builder("schemagate.leader", status, (s) -> (s.getLockAcquisitions() > 0) ? 1 : 0)
			.description("Whether this instance led a migration: took the lock to migrate, rather than finding "
					+ "the schema up to date")
			.tag("gate", name)
			.register(registry);

	}

	private static boolean succeeded(GateStatus status) {
		return status.getState() == State.UP_TO_DATE || status.getState() == State.SCHEMA_AHEAD;
	}

}
