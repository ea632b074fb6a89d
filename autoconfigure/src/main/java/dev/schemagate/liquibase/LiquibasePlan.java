package dev.schemagate.liquibase;

import java.io.StringWriter;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.schemagate.check.ChangesetCheck;
import dev.schemagate.check.Dialect;
import dev.schemagate.check.Finding;
import dev.schemagate.contract.ContractChangesets;
import dev.schemagate.database.GateDatabases;
import dev.schemagate.gate.SessionView;
import liquibase.Liquibase;
import liquibase.Scope;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.changelog.visitor.AbstractChangeExecListener;
import liquibase.database.Database;
import liquibase.logging.core.NoOpLogService;


/**
 * What a Liquibase bean's {@link LiquibaseSelection} would do, without doing it: the changesets it would
 * apply and the SQL Liquibase's update-SQL generates for them on this database. Both are
 * read on a session whose transactions are all read-only and rolled back, so that whatever
 * Liquibase might try to write, the database refuses: nothing is created, not even
 * Liquibase's own tables, and no lock is taken, not even Liquibase's, which its update-SQL
 * otherwise takes.
 */
public final class LiquibasePlan {

	private final LiquibaseSelection selection;

	private final boolean checked;

	/**
	 * Creates the plan of what one Liquibase bean selects.
	 * @param selection what the bean migrates
	 * @param checked whether to check the pending changesets for changes unsafe while the
	 * previous version serves or the application is busy
	 */
	public LiquibasePlan(LiquibaseSelection selection, boolean checked) {
		this.selection = selection;
		this.checked = checked;
	}

	/**
	 * Reads the plan from the database.
	 * @return the pending changesets and their SQL
	 * @throws Exception if the changelog or the database cannot be read
	 */
	public Plan read() throws Exception {
		try (Connection connection = this.selection.dataSource().getConnection()) {
			// every transaction of the session read-only, for the server to enforce whatever
			// the driver's settings: Liquibase rolls back after a failed existence check
			GateDatabases.of(connection).readOnlySession(connection, true);
			connection.setAutoCommit(false);
			try {
				List<ChangeSet> pending = new ArrayList<>();
				List<Finding> findings = new ArrayList<>();
				// which Liquibase can neither close nor turn to auto-commit
				Connection readOnly = SessionView.of(connection).keepingOpen().keepingAutoCommit().connection();
				// silenced: Liquibase logs each changeset as run while it writes its SQL
				String sql = this.selection.inScope(
						() -> Scope.child(Map.of(Scope.Attr.logService.name(), new NoOpLogService()), () -> {
							String planned = updateSql(readOnly, pending);
							if (this.checked) {
								// in Liquibase's scope, which finds the files of sqlFile changes
								findings.addAll(new ChangesetCheck().check(pending, Dialect.of(this.selection.database(readOnly))));
							}
							return planned;
						}));
				return new Plan(pending.stream().map(LiquibasePlan::describe).toList(), sql, this.selection.dropsFirst(),
						List.copyOf(findings), (int) pending.stream().filter(ContractChangesets::isContract).count());
			}
			finally {
				connection.rollback();
				connection.setAutoCommit(true);
				GateDatabases.of(connection).readOnlySession(connection, false);
			}
		}
	}

	private static String describe(ChangeSet changeSet) {
		return changeSet.getId() + " (" + changeSet.getAuthor() + ")"
				+ (ContractChangesets.isContract(changeSet) ? " [contract]" : "");
	}

	// as SpringLiquibase creates its Liquibase, but neither dropping first nor customised
	private String updateSql(Connection connection, List<ChangeSet> pending) throws Exception {
		Database database = this.selection.database(connection);
		Liquibase planner = this.selection.liquibase(database);
		// the changesets Liquibase would run, as it decides, whether they run always or on change
		planner.setChangeExecListener(new AbstractChangeExecListener() {

			@Override
			public void willRun(ChangeSet changeSet, DatabaseChangeLog databaseChangeLog, Database database,
					ChangeSet.RunStatus runStatus) {
				pending.add(changeSet);
			}

		});
		StringWriter sql = new StringWriter();
		PlanLockService.planning(database);
		try {
			planner.updateSql(this.selection.contexts(), this.selection.labels(), sql);
		}
		finally {
			PlanLockService.done(database);
		}
		return sql.toString();
	}

	/**
	 * A plan.
	 *
	 * @param pending the changesets the database lacks, as {@code id (author)}, followed by
	 * {@code [contract]} for a contract changeset, in the order they would run
	 * @param sql the SQL Liquibase would run, with its comments
	 * @param dropsFirst whether Liquibase would first drop every object of the schema, which
	 * the SQL does not show
	 * @param findings what the changeset check found in the pending changesets, allowed
	 * findings included; none when they were not checked
	 * @param contracts how many of the pending changesets are contract changesets, applied
	 * once no live instance's changelog lacks them rather than at start
	 */
	public record Plan(List<String> pending, String sql, boolean dropsFirst, List<Finding> findings, int contracts) {

	}

}
