package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.gate.StartCancelledException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a start stopped by a shutdown while it waited or migrated.
 */
class StartCancelledFailureAnalyzer extends AbstractFailureAnalyzer<StartCancelledException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, StartCancelledException cancelled) {
		return new FailureAnalysis(cancelled.getMessage() + ".",
				"Nothing, if the instance was meant to stop (a rollout, a rollback, a scale-down): another "
						+ "instance carries on with the migration. If it was stopped for taking too long to "
						+ "start, give it more time (a startup probe's failureThreshold x periodSeconds, "
						+ "terminationGracePeriodSeconds) or run the migration as a job (schemagate.mode=job).",
				cancelled);
	}

}
