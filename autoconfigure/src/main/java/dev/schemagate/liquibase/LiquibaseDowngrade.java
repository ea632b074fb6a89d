package dev.schemagate.liquibase;

import java.sql.Connection;
import java.time.Duration;

import dev.schemagate.gate.FencedDataSource;
import dev.schemagate.gate.Migration;
import dev.schemagate.gate.MigrationProgress;
import liquibase.Liquibase;
import liquibase.Scope;
import liquibase.database.Database;
import liquibase.integration.spring.SpringLiquibase;
import liquibase.lockservice.LockServiceFactory;
import liquibase.resource.ResourceAccessor;

/**
 * Rolls back, under the gate and Liquibase's lock, the changesets a newer version applied
 * that this instance's changelog does not know, once no live instance of the fleet has
 * them in its changelog; applies nothing. The application's {@link SpringLiquibase} bean is
 * only read: the Liquibase that rolls back is built from its settings on the fenced session.
 */
public final class LiquibaseDowngrade implements Migration {

	private final SpringLiquibase liquibase;

	private final Duration foreignLockTimeout;

	private final RollbackRecords rollbackRecords;

	private final DowngradeHold hold;

	/**
	 * Creates the downgrade of one Liquibase bean.
	 * @param liquibase the bean
	 * @param foreignLockTimeout how long to wait for Liquibase's lock while a process
	 * outside the fleet may hold it
	 * @param rollbackTable the table the rollbacks were recorded in
	 * @param hold who holds the downgrade back
	 */
	public LiquibaseDowngrade(SpringLiquibase liquibase, Duration foreignLockTimeout, String rollbackTable,
			DowngradeHold hold) {
		this.liquibase = liquibase;
		this.foreignLockTimeout = foreignLockTimeout;
		this.rollbackRecords = new RollbackRecords(rollbackTable);
		this.hold = hold;
	}

	@Override
	public void migrate(FencedDataSource fenced, MigrationProgress progress) throws Exception {
		ChangelogLock changelogLock = new ChangelogLock(this.liquibase, fenced);
		changelogLock.awaitFree(this.foreignLockTimeout, progress);
		Connection session = fenced.getConnection();
		try {
			UpToDateCheck.inScope(this.liquibase, () -> {
				ResourceAccessor resourceAccessor = Scope.getCurrentScope().getResourceAccessor();
				Database database = LiquibaseDatabase.create(this.liquibase, session, resourceAccessor);
				Liquibase downgrading = new Liquibase(this.liquibase.getChangeLog(), resourceAccessor, database);
				UpToDateCheck.setChangeLogParameters(this.liquibase, downgrading);
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
