package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.List;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.autoconfigure.SchemagateProperties.SchemaAhead;
import dev.schemagate.status.GateStatus.State;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationListener;

/**
 * Keeps the application's readiness tied to its schema: once the application is ready it
 * checks, every {@code schemagate.readiness.check-interval}, that the schema still holds
 * every changeset of each gated changelog, and refuses traffic while it does not (the
 * schema was rolled back, a changelog table restored), while a gate has failed, while a
 * newer version's contract changeset removed what this version may use, and, with
 * {@code schemagate.schema-ahead=refuse-traffic}, while any newer version's changesets are in
 * it.
 */
class SchemaReadiness implements ApplicationListener<ApplicationReadyEvent>, DisposableBean {

	private static final Log logger = LogFactory.getLog(SchemaReadiness.class);

	private final SchemaGates gates;

	private final ApplicationEventPublisher publisher;

	private final ObjectProvider<ApplicationAvailability> availability;

	private final SchemaAhead schemaAhead;

	private final Periodic schedule;

	private boolean refusing;

	SchemaReadiness(SchemaGates gates, ApplicationEventPublisher publisher,
			ObjectProvider<ApplicationAvailability> availability, Duration interval, SchemaAhead schemaAhead) {
		this.gates = gates;
		this.publisher = publisher;
		this.availability = availability;
		this.schemaAhead = schemaAhead;
		this.schedule = new Periodic("schemagate-readiness", interval, this::check);
	}

	@Override
	public void onApplicationEvent(ApplicationReadyEvent event) {
		this.schedule.start();
	}

	synchronized void check() {
		String problem;
		try {
			problem = problem();
		}
		catch (RuntimeException ex) {
			// the database being out of reach says nothing about the schema: leave readiness as is
			logger.debug("Could not check the schema for readiness", ex);
			return;
		}
		if (problem != null) {
			if (!this.refusing) {
				logger.warn("Refusing traffic: " + problem);
				this.refusing = true;
			}
			// published again when something else, such as the application turning ready right
			// after the first check, said otherwise since
			ApplicationAvailability availability = this.availability.getIfAvailable();
			if (availability == null || availability.getReadinessState() != ReadinessState.REFUSING_TRAFFIC) {
				AvailabilityChangeEvent.publish(this.publisher, this, ReadinessState.REFUSING_TRAFFIC);
			}
		}
		else if (this.refusing) {
			logger.info("Accepting traffic again: the schema holds every changeset of this instance's changelog");
			this.refusing = false;
			AvailabilityChangeEvent.publish(this.publisher, this, ReadinessState.ACCEPTING_TRAFFIC);
		}
	}

	private @Nullable String problem() {
		for (SchemaGate gate : this.gates.all()) {
			if (gate.status().getState() == State.FAILED) {
				return "the migration of '" + gate.name() + "' failed";
			}
			List<ChangesetRef> missing = gate.missingChangesets();
			if (!missing.isEmpty()) {
				return "the schema of '" + gate.name() + "' lacks " + missing.size() + " changesets of its changelog, "
						+ "first " + missing.get(0).id() + " (" + missing.get(0).author() + ")";
			}
			List<ChangesetRef> contracts = gate.aheadContracts();
			if (!contracts.isEmpty()) {
				return "the schema of '" + gate.name() + "' holds contract changeset " + contracts.get(0).id() + " ("
						+ contracts.get(0).author() + "), which this version predates: it removed what this version "
						+ "may still use" + (gate.fleet().lapsed() ? " (applied while this instance was counted as "
								+ "gone, frozen or cut off from the database)" : "");
			}
			if (this.schemaAhead == SchemaAhead.REFUSE_TRAFFIC) {
				List<ChangesetRef> unknown = gate.aheadChangesets();
				if (!unknown.isEmpty()) {
					return new SchemaAheadException(gate.name(), unknown).getMessage();
				}
			}
		}
		return null;
	}

	@Override
	public void destroy() {
		this.schedule.stop();
	}

}
