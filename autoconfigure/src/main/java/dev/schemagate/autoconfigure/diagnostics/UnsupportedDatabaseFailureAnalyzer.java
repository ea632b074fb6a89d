package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.database.UnsupportedDatabaseException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a migration database schemagate cannot fence, and how to start without the fence.
 */
class UnsupportedDatabaseFailureAnalyzer extends AbstractFailureAnalyzer<UnsupportedDatabaseException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, UnsupportedDatabaseException unsupported) {
		String supported = unsupported.getSupportedNames();
		return new FailureAnalysis("The migration database is " + unsupported.getProduct()
				+ ", but schemagate fences migrations with the session locks of " + supported + " only.",
				"Point the migration (spring.liquibase.url, or spring.datasource.url) at " + supported + ", or set "
						+ "schemagate.enabled=false to run Liquibase without the fleet-wide lock. An in-memory "
						+ "H2, HSQLDB or Derby database needs neither: Liquibase migrates it alone.",
				unsupported);
	}

}
