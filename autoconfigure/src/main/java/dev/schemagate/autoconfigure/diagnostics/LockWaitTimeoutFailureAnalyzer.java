package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.gate.LockWaitTimeoutException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a start that gave up waiting for another instance's migration: who holds the lock,
 * and what to change.
 */
class LockWaitTimeoutFailureAnalyzer extends AbstractFailureAnalyzer<LockWaitTimeoutException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, LockWaitTimeoutException timeout) {
		return new FailureAnalysis("Gave up after waiting " + timeout.getWaited().toSeconds()
				+ "s for the schema migration lock, held by "
				+ timeout.getHolder().map(Object::toString).orElse("a session that has just let it go")
				+ timeout.getLeader().map((leader) -> ", leading since " + leader.acquiredAt() + ": " + leader).orElse("")
				+ ".",
				"If that instance is still migrating, raise schemagate.lock.wait-timeout. If it hangs, stop it: "
						+ "its database session then ends, and the lock with it.",
				timeout);
	}

}
