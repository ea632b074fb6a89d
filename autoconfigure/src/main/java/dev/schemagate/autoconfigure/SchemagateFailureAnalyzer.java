package dev.schemagate.autoconfigure;

import dev.schemagate.check.UnsafeChangesetException;
import dev.schemagate.gate.ChangesetFailedException;
import dev.schemagate.gate.ConnectionRejectedException;
import dev.schemagate.gate.DatabaseUnavailableException;
import dev.schemagate.gate.ForeignLockTimeoutException;
import dev.schemagate.gate.GateTableUnavailableException;
import dev.schemagate.gate.LockTimeoutException;
import dev.schemagate.gate.LockWaitTimeoutException;
import dev.schemagate.gate.SchemaNotReadyException;
import dev.schemagate.gate.SharedSessionException;
import dev.schemagate.gate.StartCancelledException;
import dev.schemagate.gate.UnsupportedDatabaseException;
import dev.schemagate.liquibase.DowngradeException;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;

/**
 * Tells, when an instance fails to start because of its migration, what went wrong and
 * what to do.
 */
class SchemagateFailureAnalyzer implements FailureAnalyzer {

	@Override
	public FailureAnalysis analyze(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			if (cause instanceof LockWaitTimeoutException timeout) {
				return new FailureAnalysis("Gave up after waiting " + timeout.getWaited().toSeconds()
						+ "s for the schema migration lock, held by "
						+ timeout.getHolder().map(Object::toString).orElse("a session that has just let it go")
						+ timeout.getLeader().map((leader) -> ", leading since " + leader.acquiredAt() + ": " + leader)
							.orElse("") + ".",
						"If that instance is still migrating, raise schemagate.lock.wait-timeout. If it hangs, stop it: "
								+ "its database session then ends, and the lock with it.",
						timeout);
			}
			if (cause instanceof ForeignLockTimeoutException foreign) {
				return new FailureAnalysis("Gave up after waiting " + foreign.getWaited().toSeconds() + "s for "
						+ foreign.getLock() + ".",
						"A process outside the fleet (the Liquibase CLI, a build plugin, an instance without schemagate) "
								+ "holds Liquibase's lock, or held it and its database session is still open. Let it "
								+ "finish, or raise schemagate.lock.wait-timeout. If it has ended, end its session "
								+ "(SELECT pg_terminate_backend(pid)) or release the lock (UPDATE "
								+ foreign.getLock().table() + " SET LOCKED = FALSE, LOCKGRANTED = NULL, LOCKEDBY = NULL "
								+ "WHERE ID = 1), then start again.",
						foreign);
			}
			if (cause instanceof GateTableUnavailableException table) {
				return new FailureAnalysis("Tables of schemagate are missing and the migration user may not create "
						+ "them (" + table.getCause().getMessage() + "): " + String.join(", ", table.getTableNames()),
						"Create them as a user that may, then start again:\n\n\t"
								+ String.join(";\n\t", table.getDdl()) + ";\n",
						table);
			}
			if (cause instanceof LockTimeoutException lockTimeout) {
				return new FailureAnalysis(lockTimeout.getMessage() + ".",
						"End or shorten the transaction that holds the lock (an application or a report keeping a "
								+ "transaction open on the table), then deploy again; nothing of the changeset was "
								+ "applied. To wait longer, raise schemagate.migration.lock-timeout (each wait queues "
								+ "the application's queries on the table that long) or schemagate.migration.lock-retries.",
						lockTimeout);
			}
			if (cause instanceof UnsafeChangesetException unsafe) {
				return new FailureAnalysis(unsafe.getMessage(),
						"Make each change the safe way the finding names (docs/checks.md lists every rule), or, where "
								+ "the change is safe for this application, allow it in its changeset with "
								+ "schemagate:allow=<rule> and the reason, in the comment or a label. To apply unsafe "
								+ "changesets with a warning instead, set schemagate.check.mode=warn.",
						unsafe);
			}
			if (cause instanceof ChangesetFailedException changeset) {
				String where = (changeset.getFailedOn() != null) ? " on " + changeset.getFailedOn() : "";
				String repeated = (changeset.getFailedOn() != null) ? " This instance waited for that run and did "
						+ "not repeat it; the next start (a restart, the next rollout) runs it again." : "";
				return new FailureAnalysis(changeset.getChangeset() + " of " + changeset.getChangeset().changelog()
						+ " failed" + where + ": " + changeset.getDatabaseMessage() + "." + repeated,
						"Fix the changeset (it was rolled back unless it runs outside a transaction) and deploy again; "
								+ "the changesets before it stay applied.",
						changeset);
			}
			if (cause instanceof StartCancelledException cancelled) {
				return new FailureAnalysis(cancelled.getMessage() + ".",
						"Nothing, if the instance was meant to stop (a rollout, a rollback, a scale-down): another "
								+ "instance carries on with the migration. If it was stopped for taking too long to "
								+ "start, give it more time (a startup probe's failureThreshold x periodSeconds, "
								+ "terminationGracePeriodSeconds) or run the migration as a job (schemagate.mode=job).",
						cancelled);
			}
			if (cause instanceof UnsupportedDatabaseException unsupported) {
				return new FailureAnalysis("The migration database is " + unsupported.getProduct()
						+ ", but schemagate fences migrations with PostgreSQL's advisory locks.",
						"Point the migration (spring.liquibase.url, or spring.datasource.url) at PostgreSQL, or set "
								+ "schemagate.enabled=false to run Liquibase without the fleet-wide lock. An in-memory "
								+ "H2, HSQLDB or Derby database needs neither: Liquibase migrates it alone.",
						unsupported);
			}
			if (cause instanceof SchemaAheadException ahead) {
				return new FailureAnalysis(ahead.getMessage(),
						"Deploy the newer version instead, or roll the schema back to this version's changelog. "
								+ "To let this version start on the newer schema, set schemagate.schema-ahead=serve "
								+ "(or refuse-traffic to keep it out of the load balancer).",
						ahead);
			}
			if (cause instanceof DowngradeException downgrade) {
				return new FailureAnalysis(downgrade.getMessage(),
						"Give each changeset of the newer version a rollback it can record (a <rollback> element where "
								+ "Liquibase cannot invert a change) and apply it with schemagate.downgrade.enabled=true, "
								+ "or roll the schema back by hand and delete the changesets' DATABASECHANGELOG rows. "
								+ "To start this version on the newer schema instead, set "
								+ "schemagate.downgrade.enabled=false.",
						downgrade);
			}
			if (cause instanceof SchemaNotReadyException notReady) {
				return new FailureAnalysis(notReady.getMessage() + ".",
						"This instance runs in 'wait' mode and never migrates: run the migration first (the same "
								+ "application with schemagate.mode=job, as a Kubernetes Job, an init container or a "
								+ "CI step), or raise schemagate.wait.timeout if it is still running.",
						notReady);
			}
			if (cause instanceof SharedSessionException shared) {
				return new FailureAnalysis(shared.getMessage(),
						"Point the migration at PostgreSQL itself, or at a pool in session mode, with "
								+ "spring.liquibase.url (and spring.liquibase.user and spring.liquibase.password); the "
								+ "application's own data source may stay on the pooler. See docs/operations.md, "
								+ "'Connection poolers'.",
						shared);
			}
			if (cause instanceof ConnectionRejectedException rejected) {
				return rejected.isDatabaseMissing()
						? new FailureAnalysis(rejected.getMessage(),
								"Create the database (CREATE DATABASE ...) or correct its name in the migration URL "
										+ "(spring.liquibase.url, or spring.datasource.url).",
								rejected)
						: new FailureAnalysis(rejected.getMessage(),
								"Check the migration user and password (spring.liquibase.user and "
										+ "spring.liquibase.password, or spring.datasource.username and "
										+ "spring.datasource.password) and that the role exists with LOGIN (CREATE ROLE "
										+ "... LOGIN PASSWORD '...'). If the server does not admit this client, add a "
										+ "line for it to pg_hba.conf.",
								rejected);
			}
			if (cause instanceof DatabaseUnavailableException unavailable) {
				return new FailureAnalysis(unavailable.getMessage(),
						"Check that the database runs and that the migration URL, user and password are right, or "
								+ "raise schemagate.retry.timeout to wait longer for it.",
						unavailable);
			}
		}
		return null;
	}

}
