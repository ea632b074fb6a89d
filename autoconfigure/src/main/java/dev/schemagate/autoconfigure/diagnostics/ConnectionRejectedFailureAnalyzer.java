package dev.schemagate.autoconfigure.diagnostics;

import dev.schemagate.gate.ConnectionRejectedException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a migration connection the server refused: a missing database, or credentials it
 * does not accept.
 */
class ConnectionRejectedFailureAnalyzer extends AbstractFailureAnalyzer<ConnectionRejectedException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, ConnectionRejectedException rejected) {
		if (rejected.isDatabaseMissing()) {
			return new FailureAnalysis(rejected.getMessage(),
					"Create the database (CREATE DATABASE ...) or correct its name in the migration URL "
							+ "(spring.liquibase.url, or spring.datasource.url).",
					rejected);
		}
		return new FailureAnalysis(rejected.getMessage(),
				"Check the migration user and password (spring.liquibase.user and spring.liquibase.password, or "
						+ "spring.datasource.username and spring.datasource.password) and that the user exists and may "
						+ "log in from this client: on PostgreSQL a role WITH LOGIN (CREATE ROLE ... LOGIN PASSWORD "
						+ "'...') and a line of pg_hba.conf that admits the client; on MariaDB or MySQL a user for the "
						+ "client's host (CREATE USER 'name'@'host' IDENTIFIED BY '...').",
				rejected);
	}

}
