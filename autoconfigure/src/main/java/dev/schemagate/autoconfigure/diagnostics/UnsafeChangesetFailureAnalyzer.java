package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.check.UnsafeChangesetException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains changesets the changeset check refused, and how to make or allow them.
 */
class UnsafeChangesetFailureAnalyzer extends AbstractFailureAnalyzer<UnsafeChangesetException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, UnsafeChangesetException unsafe) {
		return new FailureAnalysis(unsafe.getMessage(),
				"Make each change the safe way the finding names (docs/checks.md lists every rule), or, where "
						+ "the change is safe for this application, allow it in its changeset with "
						+ "schemagate:allow=<rule> and the reason, in the comment or a label. To apply unsafe "
						+ "changesets with a warning instead, set schemagate.check.mode=warn.",
				unsafe);
	}

}
