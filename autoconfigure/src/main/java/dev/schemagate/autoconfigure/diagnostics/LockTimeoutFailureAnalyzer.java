package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.gate.LockTimeoutException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a changeset that waited too long for a table lock an open transaction held.
 */
class LockTimeoutFailureAnalyzer extends AbstractFailureAnalyzer<LockTimeoutException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, LockTimeoutException lockTimeout) {
		return new FailureAnalysis(lockTimeout.getMessage() + ".",
				"End or shorten the transaction that holds the lock (an application or a report keeping a "
						+ "transaction open on the table), then deploy again; nothing of the changeset was "
						+ "applied. To wait longer, raise schemagate.migration.lock-timeout (each wait queues "
						+ "the application's queries on the table that long) or schemagate.migration.lock-retries.",
				lockTimeout);
	}

}
