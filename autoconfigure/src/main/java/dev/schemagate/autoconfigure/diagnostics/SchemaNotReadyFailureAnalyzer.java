package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.gate.SchemaNotReadyException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a 'wait' mode instance whose schema was not migrated in time.
 */
class SchemaNotReadyFailureAnalyzer extends AbstractFailureAnalyzer<SchemaNotReadyException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, SchemaNotReadyException notReady) {
		return new FailureAnalysis(notReady.getMessage() + ".",
				"This instance runs in 'wait' mode and never migrates: run the migration first (the same "
						+ "application with schemagate.mode=job, as a Kubernetes Job, an init container or a "
						+ "CI step), or raise schemagate.wait.timeout if it is still running.",
				notReady);
	}

}
