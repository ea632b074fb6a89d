package dev.schemagate.liquibase;

import java.sql.Connection;
import java.sql.SQLException;

import dev.schemagate.database.GateDatabases;
import dev.schemagate.gate.SessionView;
import liquibase.change.Change;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.changelog.visitor.AbstractChangeExecListener;
import liquibase.database.Database;
import liquibase.exception.UnexpectedLiquibaseException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;


/**
 * Commits a transactional changeset together with its {@code DATABASECHANGELOG} row.
 * Liquibase commits a changeset's changes and then inserts and commits its row: a leader
 * killed, or a session lost, in between leaves the changeset applied but unrecorded, and
 * the next leader runs it a second time. On the session this hands Liquibase, commits are
 * held from a transactional changeset's first change until its row is written, then made
 * once, for both, with the changeset's rollback when it is recorded. A changeset that does
 * not run in a transaction is left as Liquibase runs it, and waits for its locks without
 * the session's lock timeout: it cannot be tried again.
 */
final class ChangesetTransaction extends AbstractChangeExecListener {

	private static final Log logger = LogFactory.getLog(ChangesetTransaction.class);

	private final Connection session;

	private final Connection heldCommits;

	private final @Nullable RollbackRecords rollbackRecords;

	private final @Nullable ChangesetGuard guard;

	private volatile @Nullable ChangeSet guarded;

	private volatile ChangesetGuard.Hold hold = ChangesetGuard.Hold.NONE;

	private volatile boolean holding;

	private volatile @Nullable String lockTimeout;

	/**
	 * Creates the transaction boundary on a session.
	 * @param session the session Liquibase migrates on
	 * @param rollbackRecords where each changeset's rollback is recorded before it commits,
	 * {@code null} for nowhere
	 */
	ChangesetTransaction(Connection session, @Nullable RollbackRecords rollbackRecords) {
		this(session, rollbackRecords, null);
	}

	/**
	 * Creates the transaction boundary on a session, with a guard that checks each changeset
	 * inside its transaction before its first change.
	 * @param session the session Liquibase migrates on
	 * @param rollbackRecords where each changeset's rollback is recorded before it commits,
	 * {@code null} for nowhere
	 * @param guard the guard, {@code null} for none
	 */
	ChangesetTransaction(Connection session, @Nullable RollbackRecords rollbackRecords,
			@Nullable ChangesetGuard guard) {
		this.session = session;
		this.rollbackRecords = rollbackRecords;
		this.guard = guard;
		// turning auto-commit on commits: nothing is held past it
		this.heldCommits = SessionView.of(session)
			.holdingCommits(() -> this.holding, () -> this.holding = false)
			.connection();
	}

	/**
	 * Returns the session with commits held while a changeset runs.
	 * @return the session to give Liquibase
	 */
	Connection connection() {
		return this.heldCommits;
	}

	// a changeset outside a transaction cannot be tried again, and one cancelled part way
	// (CREATE INDEX CONCURRENTLY) leaves its work behind: it waits for its locks unbounded
	@Override
	public void willRun(ChangeSet changeSet, DatabaseChangeLog databaseChangeLog, Database database,
			ChangeSet.RunStatus runStatus) {
		if (!changeSet.isRunInTransaction()) {
			this.lockTimeout = setLockTimeout(null);
		}
	}

	@Override
	public void willRun(Change change, ChangeSet changeSet, DatabaseChangeLog changeLog, Database database) {
		if (changeSet.isRunInTransaction() && database.supportsDDLInTransaction()) {
			this.holding = true;
		}
		if (this.guard != null && this.guarded != changeSet) {
			this.guarded = changeSet;
			try {
				this.hold = this.guard.check(this.session, changeSet);
			}
			catch (RuntimeException ex) {
				throw ex;
			}
			catch (Exception ex) {
				throw new UnexpectedLiquibaseException(ex.getMessage(), ex);
			}
		}
	}

	@Override
	public void ran(ChangeSet changeSet, DatabaseChangeLog databaseChangeLog, Database database,
			ChangeSet.ExecType execType) {
		restoreLockTimeout();
		boolean held = this.holding;
		this.holding = false;
		try {
			if (!held && this.rollbackRecords == null) {
				return;
			}
			if (this.rollbackRecords != null) {
				this.rollbackRecords.record(this.session, changeSet, database,
						execType == ChangeSet.ExecType.EXECUTED || execType == ChangeSet.ExecType.RERAN);
			}
			if (!this.session.getAutoCommit()) {
				this.session.commit();
			}
		}
		catch (SQLException ex) {
			throw new UnexpectedLiquibaseException(
					"Could not commit changeset " + changeSet + " with its changelog row: " + ex.getMessage(), ex);
		}
		finally {
			releaseHold();
		}
	}

	@Override
	public void runFailed(ChangeSet changeSet, DatabaseChangeLog databaseChangeLog, Database database,
			Exception exception) {
		// Liquibase has rolled the changeset back
		this.holding = false;
		restoreLockTimeout();
		releaseHold();
	}

	private void releaseHold() {
		ChangesetGuard.Hold hold = this.hold;
		this.hold = ChangesetGuard.Hold.NONE;
		try {
			hold.release();
		}
		catch (Exception ex) {
			logger.warn("Could not release what the guard of a changeset held: " + ex.getMessage());
		}
	}

	private void restoreLockTimeout() {
		if (this.lockTimeout != null) {
			setLockTimeout(this.lockTimeout);
			this.lockTimeout = null;
		}
	}

	// returns the setting it replaces; null for no bound
	private String setLockTimeout(@Nullable String setting) {
		try {
			String replaced = GateDatabases.of(this.session).replaceLockTimeout(this.session, setting);
			// between changesets, where nothing else is open: a later rollback must not undo it
			if (!this.session.getAutoCommit()) {
				this.session.commit();
			}
			return replaced;
		}
		catch (SQLException ex) {
			throw new UnexpectedLiquibaseException("Could not set the lock timeout of the migration session: "
					+ ex.getMessage(), ex);
		}
	}

	/**
	 * Rolls back what is still held, when Liquibase stopped between a changeset's changes
	 * and its row without reporting either: a changeset without its row is never committed.
	 * A session that fails here has lost its transaction with it.
	 */
	void rollBackHeld() {
		releaseHold();
		if (this.holding) {
			this.holding = false;
			try {
				if (!this.session.getAutoCommit()) {
					this.session.rollback();
				}
			}
			catch (SQLException ex) {
				logger.debug("The migration session failed while rolling back a changeset without its row", ex);
			}
		}
	}

}
