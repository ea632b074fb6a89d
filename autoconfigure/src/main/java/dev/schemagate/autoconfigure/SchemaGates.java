package dev.schemagate.autoconfigure;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.schemagate.check.ChangesetReview;
import dev.schemagate.check.Finding;
import dev.schemagate.fleet.FleetMembership;
import dev.schemagate.gate.MigrationGate;
import dev.schemagate.liquibase.ChangelogTable;
import dev.schemagate.status.GateStatus;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;

/**
 * The gates of this application, one per {@code SpringLiquibase} bean, for readiness,
 * health, the endpoint and the meters to read.
 */
public final class SchemaGates implements SmartLifecycle {

	private final List<SchemaGate> gates = new CopyOnWriteArrayList<>();

	private volatile boolean running;

	void add(SchemaGate gate) {
		this.gates.add(gate);
	}

	/**
	 * Returns every gate, in the order their migrations started.
	 * @return the gates
	 */
	public List<SchemaGate> all() {
		return List.copyOf(this.gates);
	}

	@Override
	public void start() {
		this.running = true;
	}

	// once the web server has stopped serving: the fleet waits for this instance until then
	@Override
	public void stop() {
		this.running = false;
		this.gates.forEach((gate) -> gate.fleet().leave());
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	// stopped after the web server (Integer.MAX_VALUE - 2048), which stops first
	@Override
	public int getPhase() {
		return 0;
	}

	/**
	 * One gated {@code SpringLiquibase} bean.
	 *
	 * @param name the bean's name
	 * @param gate the gate of its database
	 * @param status what the gate has done
	 * @param changelog the bean's changelog table
	 * @param review the check of the changesets it was about to apply, {@code null} when
	 * they are not checked
	 * @param fleet this instance's record in the fleet registry
	 * @param contracts the bean's contract changesets, applied once no instance of the
	 * previous version runs
	 * @param downgrade the rollback of the changesets a newer version applied, once no
	 * instance of that version runs
	 */
	public record SchemaGate(String name, MigrationGate gate, GateStatus status, ChangelogTable changelog,
			@Nullable ChangesetReview review, FleetMembership fleet, ContractPhase contracts,
			DowngradePhase downgrade) {

		/**
		 * Returns what the check found in the changesets this instance was about to apply,
		 * allowed findings included.
		 * @return the findings, none when this instance applied nothing or did not check
		 */
		public List<Finding> findings() {
			return (this.review != null) ? this.review.findings() : List.of();
		}

		/**
		 * Reads which changesets this instance requires the schema lacks now.
		 * @return the missing changesets, none before the migration inspected the schema
		 */
		public List<ChangesetRef> missingChangesets() {
			return this.status.getPosition()
				.map((position) -> this.changelog.missing(position.required()))
				.orElse(List.of());
		}

		/**
		 * Reads which contract changesets the schema holds now that this instance's changelog
		 * does not know: a newer version removed what this one may still use.
		 * @return the unknown contract changesets, none before the migration inspected the
		 * schema
		 */
		public List<ChangesetRef> aheadContracts() {
			return this.status.getPosition()
				.map((position) -> this.changelog.unknownContracts(this.contracts.known()))
				.orElse(List.of());
		}

		/**
		 * Reads which changesets the schema holds now that this instance's changelog does not
		 * know: a newer version applied them.
		 * @return the unknown changesets, none before the migration inspected the schema
		 */
		public List<ChangesetRef> aheadChangesets() {
			return this.status.getPosition()
				.map((position) -> this.changelog.unknown(position.known()))
				.orElse(List.of());
		}

	}

}
