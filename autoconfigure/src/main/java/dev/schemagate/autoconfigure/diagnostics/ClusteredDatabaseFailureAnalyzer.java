package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.database.ClusteredDatabaseException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a migration on a cluster node or through a balancing URL, where the fence's lock
 * does not hold.
 */
class ClusteredDatabaseFailureAnalyzer extends AbstractFailureAnalyzer<ClusteredDatabaseException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, ClusteredDatabaseException clustered) {
		return new FailureAnalysis(clustered.getMessage(),
				"Point the migration at one server, directly, with a plain URL in spring.liquibase.url (and "
						+ "spring.liquibase.user and spring.liquibase.password), the same server for every instance; "
						+ "the application's own data source may stay on the cluster. On a Galera cluster that is one "
						+ "node, as for any DDL. See docs/databases.md, 'Clusters and load balancers'.",
				clustered);
	}

}
