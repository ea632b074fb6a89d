package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.gate.DatabaseUnavailableException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a database that stayed out of reach past the retry timeout.
 */
class DatabaseUnavailableFailureAnalyzer extends AbstractFailureAnalyzer<DatabaseUnavailableException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, DatabaseUnavailableException unavailable) {
		return new FailureAnalysis(unavailable.getMessage(),
				"Check that the database runs and that the migration URL, user and password are right, or "
						+ "raise schemagate.retry.timeout to wait longer for it.",
				unavailable);
	}

}
