package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.gate.ChangesetFailedException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a changeset that failed, on this instance or on the leader it waited for.
 */
class ChangesetFailedFailureAnalyzer extends AbstractFailureAnalyzer<ChangesetFailedException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, ChangesetFailedException changeset) {
		String where = (changeset.getFailedOn() != null) ? " on " + changeset.getFailedOn() : "";
		String repeated = (changeset.getFailedOn() != null) ? " This instance waited for that run and did "
				+ "not repeat it; the next start (a restart, the next rollout) runs it again." : "";
		return new FailureAnalysis(changeset.getChangeset() + " of " + changeset.getChangeset().changelog() + " failed"
				+ where + ": " + changeset.getDatabaseMessage() + "." + repeated,
				"Fix the changeset (it was rolled back unless it runs outside a transaction) and deploy again; "
						+ "the changesets before it stay applied.",
				changeset);
	}

}
