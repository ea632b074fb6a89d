package dev.schemagate.liquibase;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import liquibase.change.Change;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.changelog.visitor.AbstractChangeExecListener;
import liquibase.database.Database;
import liquibase.exception.UnexpectedLiquibaseException;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.datasource.AbstractDataSource;

/**
 * Commits a transactional changeset together with its {@code DATABASECHANGELOG} row.
 * Liquibase commits a changeset's changes and then inserts and commits its row: a leader
 * killed, or a session lost, in between leaves the changeset applied but unrecorded, and
 * the next leader runs it a second time. On the session this hands Liquibase, commits are
 * held from a transactional changeset's first change until its row is written, then made
 * once, for both, with the changeset's rollback when it is recorded. A changeset that does
 * not run in a transaction is left as Liquibase runs it.
 */
final class ChangesetTransaction extends AbstractChangeExecListener {

	private final Connection session;

	private final Connection heldCommits;

	private final @Nullable RollbackRecords rollbackRecords;

	private volatile boolean holding;

	/**
	 * Creates the transaction boundary on a session.
	 * @param session the session Liquibase migrates on
	 * @param rollbackRecords where each changeset's rollback is recorded before it commits,
	 * {@code null} for nowhere
	 */
	ChangesetTransaction(Connection session, @Nullable RollbackRecords rollbackRecords) {
		this.session = session;
		this.rollbackRecords = rollbackRecords;
		this.heldCommits = (Connection) Proxy.newProxyInstance(ChangesetTransaction.class.getClassLoader(),
				new Class<?>[] { Connection.class }, (proxy, method, args) -> {
					if (this.holding && method.getName().equals("commit")) {
						return null;
					}
					if (method.getName().equals("setAutoCommit") && Boolean.TRUE.equals(args[0])) {
						// turning auto-commit on commits: nothing is held past it
						this.holding = false;
					}
					try {
						return method.invoke(session, args);
					}
					catch (InvocationTargetException ex) {
						throw ex.getTargetException();
					}
				});
	}

	/**
	 * Returns the session with commits held while a changeset runs, as a data source.
	 * @return the data source to give Liquibase
	 */
	DataSource dataSource() {
		return new AbstractDataSource() {

			@Override
			public Connection getConnection() {
				return ChangesetTransaction.this.heldCommits;
			}

			@Override
			public Connection getConnection(String username, String password) throws SQLException {
				throw new SQLException("The migration session cannot be opened with other credentials");
			}

			@Override
			public PrintWriter getLogWriter() {
				return null;
			}

		};
	}

	@Override
	public void willRun(Change change, ChangeSet changeSet, DatabaseChangeLog changeLog, Database database) {
		if (changeSet.isRunInTransaction() && database.supportsDDLInTransaction()) {
			this.holding = true;
		}
	}

	@Override
	public void ran(ChangeSet changeSet, DatabaseChangeLog databaseChangeLog, Database database,
			ChangeSet.ExecType execType) {
		boolean held = this.holding;
		this.holding = false;
		if (!held && this.rollbackRecords == null) {
			return;
		}
		try {
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
	}

	@Override
	public void runFailed(ChangeSet changeSet, DatabaseChangeLog databaseChangeLog, Database database,
			Exception exception) {
		// Liquibase has rolled the changeset back
		this.holding = false;
	}

	/**
	 * Rolls back what is still held, when Liquibase stopped between a changeset's changes
	 * and its row without reporting either: a changeset without its row is never committed.
	 * @throws SQLException if the session fails
	 */
	void rollBackHeld() throws SQLException {
		if (this.holding) {
			this.holding = false;
			if (!this.session.getAutoCommit()) {
				this.session.rollback();
			}
		}
	}

}
