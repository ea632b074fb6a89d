package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.autoconfigure.SchemaAheadException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a schema a newer version migrated, and what lets this version start on it.
 */
class SchemaAheadFailureAnalyzer extends AbstractFailureAnalyzer<SchemaAheadException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, SchemaAheadException ahead) {
		return new FailureAnalysis(ahead.getMessage(),
				"Deploy the newer version instead, or roll the schema back to this version's changelog. "
						+ "To let this version start on the newer schema, set schemagate.schema-ahead=serve "
						+ "(or refuse-traffic to keep it out of the load balancer).",
				ahead);
	}

}
