package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.database.SharedSessionException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a migration behind a pooler in transaction mode, which cannot hold the fence.
 */
class SharedSessionFailureAnalyzer extends AbstractFailureAnalyzer<SharedSessionException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, SharedSessionException shared) {
		return new FailureAnalysis(shared.getMessage(),
				"Point the migration at the database server itself, or at a pool in session mode, with "
						+ "spring.liquibase.url (and spring.liquibase.user and spring.liquibase.password); the "
						+ "application's own data source may stay on the pooler. See docs/operations.md, "
						+ "'Connection poolers'.",
				shared);
	}

}
