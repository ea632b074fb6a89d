package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.liquibase.DowngradeException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a downgrade that cannot be made, and how to make one that can.
 */
class DowngradeFailureAnalyzer extends AbstractFailureAnalyzer<DowngradeException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, DowngradeException downgrade) {
		return new FailureAnalysis(downgrade.getMessage(),
				"Give each changeset of the newer version a rollback it can record (a <rollback> element where "
						+ "Liquibase cannot invert a change) and apply it with schemagate.downgrade.enabled=true, "
						+ "or roll the schema back by hand and delete the changesets' DATABASECHANGELOG rows. "
						+ "To start this version on the newer schema instead, set schemagate.downgrade.enabled=false.",
				downgrade);
	}

}
