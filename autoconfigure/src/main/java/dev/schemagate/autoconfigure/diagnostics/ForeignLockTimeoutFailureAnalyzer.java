package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.gate.ForeignLockTimeoutException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a start that gave up waiting for Liquibase's lock held outside the fleet, with the
 * statements that free it.
 */
class ForeignLockTimeoutFailureAnalyzer extends AbstractFailureAnalyzer<ForeignLockTimeoutException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, ForeignLockTimeoutException foreign) {
		return new FailureAnalysis("Gave up after waiting " + foreign.getWaited().toSeconds() + "s for " + foreign.getLock()
				+ ".",
				"A process outside the fleet (the Liquibase CLI, a build plugin, an instance without schemagate) "
						+ "holds Liquibase's lock, or held it and its database session is still open. Let it "
						+ "finish, or raise schemagate.lock.wait-timeout. If it has ended, end its session "
						+ "(PostgreSQL: SELECT pg_terminate_backend(pid); MariaDB or MySQL: KILL CONNECTION id) or "
						+ "release the lock (UPDATE " + foreign.getLock().table()
						+ " SET LOCKED = FALSE, LOCKGRANTED = NULL, LOCKEDBY = NULL WHERE ID = 1), then start again.",
				foreign);
	}

}
