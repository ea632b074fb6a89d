package dev.schemagate.liquibase;

import java.sql.Connection;
import java.time.Duration;

import dev.schemagate.gate.FencedDataSource;
import dev.schemagate.gate.Migration;
import dev.schemagate.gate.MigrationProgress;
import liquibase.Liquibase;
import liquibase.database.Database;
import liquibase.lockservice.LockServiceFactory;

/**
 * Rolls back, under the gate and Liquibase's lock, the changesets a newer version applied
 * that this instance's changelog does not know, once no live instance of the fleet has
 * them in its changelog; applies nothing. The Liquibase that rolls back is built from the
 * bean's {@link LiquibaseSelection} on the fenced session.
 */
public final class LiquibaseDowngrade implements Migration {

	private final LiquibaseSelection selection;

	private final ForeignLockWait foreignLockWait;

	private final RollbackRecords rollbackRecords;

	private final DowngradeHold hold;

	/**
	 * Creates the downgrade of what one Liquibase bean selects.
	 * @param selection what the bean migrates
	 * @param foreignLockWait how to wait for Liquibase's lock while a process outside the
	 * fleet may hold it
	 * @param rollbackTable the table the rollbacks were recorded in
	 * @param hold who holds the downgrade back
	 */
	public LiquibaseDowngrade(LiquibaseSelection selection, ForeignLockWait foreignLockWait, String rollbackTable,
			DowngradeHold hold) {
		this.selection = selection;
		this.foreignLockWait = foreignLockWait;
		this.rollbackRecords = new RollbackRecords(rollbackTable);
		this.hold = hold;
	}

	@Override
	public void migrate(FencedDataSource fenced, MigrationProgress progress) throws Exception {
		ChangelogLock changelogLock = new ChangelogLock(this.selection, fenced, this.foreignLockWait);
		changelogLock.awaitFree(progress);
		Connection session = fenced.getConnection();
		try {
			this.selection.inScope(() -> {
				Database database = this.selection.database(session);
				Liquibase downgrading = this.selection.liquibase(database);
				changelogLock.take(downgrading);
				try {
					return new Downgrade(this.rollbackRecords).run(downgrading, session, this.hold);
				}
				finally {
					LockServiceFactory.getInstance().getLockService(database).releaseLock();
				}
			});
		}
		finally {
			changelogLock.releaseIfStamped();
		}
	}

}
