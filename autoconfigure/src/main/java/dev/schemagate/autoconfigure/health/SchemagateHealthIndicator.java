package dev.schemagate.autoconfigure.health;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.schemagate.autoconfigure.SchemaGates;
import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.check.Finding;
import dev.schemagate.status.GateStatus;
import dev.schemagate.status.GateStatus.State;
import dev.schemagate.status.SchemaPosition;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of the schema migration: up when the schema holds every changeset of this
 * instance's changelog, out of service while it waits or migrates or when the schema has
 * lost changesets, down when the gate failed. Each gated Liquibase bean is a detail, with
 * its state, the changelog's and the database's last changeset, the changesets applied by
 * this instance and pending, the current lock holder, a lock held outside the fleet that
 * the leader waits for, a frozen leader this instance took over from (or why it could not),
 * what the changeset check found in the changesets it applied, contract changesets pending
 * and the instances that hold them back, changesets of a newer version waiting to be rolled
 * back and the instances that hold that back, and the last error. Out of service too when a
 * newer version's contract changeset removed what this version may use.
 */
public class SchemagateHealthIndicator extends AbstractHealthIndicator {

	private final SchemaGates gates;

	public SchemagateHealthIndicator(SchemaGates gates) {
		super("Schema migration health check failed");
		this.gates = gates;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) throws Exception {
		Status status = Status.UP;
		for (SchemaGate gate : this.gates.all()) {
			Map<String, @Nullable Object> details = new LinkedHashMap<>();
			Status gateStatus = describe(gate, details);
			builder.withDetail(gate.name(), details);
			status = worse(status, gateStatus);
		}
		builder.status(status);
	}

	private Status describe(SchemaGate gate, Map<String, @Nullable Object> details) throws Exception {
		GateStatus status = gate.status();
		State state = status.getState();
		List<ChangesetRef> missing = gate.missingChangesets();
		details.put("state", ((state == State.UP_TO_DATE || state == State.SCHEMA_AHEAD) && !missing.isEmpty())
				? "SCHEMA_BEHIND" : state.name());
		details.put("changelogLastChangeset", status.getPosition().map(SchemaPosition::changelogLastId).orElse(null));
		details.put("databaseLastChangeset", gate.changelog().lastApplied().orElse(null));
		details.put("appliedByThisInstance", status.getApplied().size());
		details.put("pending", status.getPending());
		if (!missing.isEmpty()) {
			details.put("missing", missing.stream().map(ChangesetRef::id).toList());
		}
		gate.gate().currentHolder().ifPresent((holder) -> details.put("lockHolder", holder));
		status.getForeignLock().ifPresent((lock) -> details.put("foreignLock", lock));
		status.getTakeover().ifPresent((takeover) -> details.put("takeover", takeover));
		gate.gate().leaderProgress().ifPresent((leader) -> details.put("leader", leader));
		List<ChangesetRef> aheadContracts = gate.aheadContracts();
		if (!aheadContracts.isEmpty()) {
			details.put("state", "CONTRACTED");
			details.put("aheadContracts", aheadContracts.stream().map(ChangesetRef::id).toList());
		}
		if (gate.fleet().lapsed()) {
			details.put("lapsed", "this instance was counted as gone by the fleet while it ran: frozen or cut off "
					+ "for longer than schemagate.fleet.expiry");
		}
		if (!gate.contracts().pending().isEmpty()) {
			Map<String, Object> contracts = new LinkedHashMap<>();
			contracts.put("pending", gate.contracts().pending().stream().map(ChangesetRef::id).toList());
			contracts.put("heldBackBy", gate.contracts().holders().stream().map(Object::toString).toList());
			if (gate.contracts().lastError() != null) {
				contracts.put("lastError", gate.contracts().lastError());
			}
			details.put("contracts", contracts);
		}
		if (!gate.downgrade().pending().isEmpty()) {
			Map<String, Object> downgrade = new LinkedHashMap<>();
			downgrade.put("changesets", gate.downgrade().pending().stream().map(ChangesetRef::id).toList());
			downgrade.put("heldBackBy", gate.downgrade().holders().stream().map(Object::toString).toList());
			if (gate.downgrade().lastError() != null) {
				downgrade.put("lastError", gate.downgrade().lastError());
			}
			details.put("downgradePending", downgrade);
		}
		if (!gate.findings().isEmpty()) {
			details.put("changesetCheck", gate.findings().stream().map(Finding::toString).toList());
		}
		status.getLastError().ifPresent((error) -> details.put("lastError", error));
		if (state == State.FAILED) {
			return Status.DOWN;
		}
		if (state == State.WAITING || state == State.MIGRATING || state == State.PENDING || !missing.isEmpty()
				|| !aheadContracts.isEmpty()) {
			return Status.OUT_OF_SERVICE;
		}
		return Status.UP;
	}

	private static Status worse(Status a, Status b) {
		List<Status> order = List.of(Status.DOWN, Status.OUT_OF_SERVICE, Status.UP);
		return (order.indexOf(a) <= order.indexOf(b)) ? a : b;
	}

}
