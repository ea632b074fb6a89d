package dev.schemagate.liquibase;

import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;

import liquibase.database.Database;
import liquibase.lockservice.DatabaseChangeLogLock;
import liquibase.lockservice.LockService;

/**
 * Liquibase's lock, not taken, for a plan. Liquibase's update-SQL takes and releases
 * {@code DATABASECHANGELOGLOCK} for real, creating the table if it is missing, although
 * it writes nothing else: a plan changes nothing and so needs no lock. Liquibase finds this
 * service with its others ({@code META-INF/services}, as it forgets those registered in
 * code whenever a command ends) and chooses it only for the databases a plan reads.
 */
public final class PlanLockService implements LockService {

	private static final Set<Database> planned = Collections
		.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<Database, Boolean>()));

	/**
	 * Makes Liquibase use no lock for a database a plan reads, until {@link #done}.
	 * @param database the plan's database
	 */
	static void planning(Database database) {
		planned.add(database);
	}

	static void done(Database database) {
		planned.remove(database);
	}

	/**
	 * Creates the lock service, as Liquibase does for each database it chooses it for.
	 */
	public PlanLockService() {
	}

	@Override
	public int getPriority() {
		return Integer.MAX_VALUE;
	}

	@Override
	public boolean supports(Database database) {
		return planned.contains(database);
	}

	@Override
	public void setDatabase(Database database) {
	}

	@Override
	public void setChangeLogLockWaitTime(long changeLogLockWaitTime) {
	}

	@Override
	public void setChangeLogLockRecheckTime(long changeLogLockRecheckTime) {
	}

	@Override
	public boolean hasChangeLogLock() {
		return true;
	}

	@Override
	public void waitForLock() {
	}

	@Override
	public boolean acquireLock() {
		return true;
	}

	@Override
	public void releaseLock() {
	}

	@Override
	public DatabaseChangeLogLock[] listLocks() {
		return new DatabaseChangeLogLock[0];
	}

	@Override
	public void forceReleaseLock() {
	}

	@Override
	public void reset() {
	}

	@Override
	public void init() {
	}

	@Override
	public void destroy() {
	}

}
