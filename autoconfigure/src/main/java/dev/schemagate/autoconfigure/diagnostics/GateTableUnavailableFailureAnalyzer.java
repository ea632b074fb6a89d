package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.gate.GateTableUnavailableException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains tables of schemagate the migration user may not create, with the DDL to run as a
 * user that may.
 */
class GateTableUnavailableFailureAnalyzer extends AbstractFailureAnalyzer<GateTableUnavailableException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, GateTableUnavailableException table) {
		return new FailureAnalysis("Tables of schemagate are missing and the migration user may not create them ("
				+ table.getDatabaseFailure().getMessage() + "): " + String.join(", ", table.getTableNames()),
				"Create them as a user that may, then start again:\n\n\t" + String.join(";\n\t", table.getDdl()) + ";\n",
				table);
	}

}
