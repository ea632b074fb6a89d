package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.autoconfigure.RunOnceExitException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a job or a plan that ended with a non-zero exit code, after the summary line it
 * printed.
 */
class RunOnceExitFailureAnalyzer extends AbstractFailureAnalyzer<RunOnceExitException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, RunOnceExitException exit) {
		String action;
		if (exit.getMode().equals("job") && exit.getExitCode() == 1) {
			action = "Fix what the job's summary line names and run the job again; the changesets it applied stay. "
					+ "Contract changesets or downgrades held back by live instances are no failure: they wait for "
					+ "the next job.";
		}
		else if (exit.getMode().equals("plan") && exit.getExitCode() == 2) {
			action = "Make each unsafe change the plan lists safe (its finding says how), or allow it in its "
					+ "changeset with schemagate:allow=<rule> followed by the reason; schemagate.check.mode=warn "
					+ "reports unsafe changes without refusing the migration.";
		}
		else {
			action = "The exit code is the application's own: see what its ExitCodeGenerator reports.";
		}
		return new FailureAnalysis(exit.getMessage() + ".", action, exit);
	}

}
