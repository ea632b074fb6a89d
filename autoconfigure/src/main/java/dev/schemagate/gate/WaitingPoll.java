package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.SQLException;

import dev.schemagate.database.GateDatabase;

/**
 * What a waiting instance asks the database on each poll, in one statement: take the fence
 * if it is free, else who holds it, the version of its lease row and, when asked for, the
 * leader's progress. One statement per poll keeps the load of a waiting fleet at one query
 * per instance and poll interval, however many instances wait. The statement is the
 * database's ({@link GateDatabase#poll}); this keeps what the poll knows of the gate's tables.
 * <p>
 * The gate's tables appear only once a first leader has created them; until then the poll
 * asks whether they exist instead of reading them.
 */
final class WaitingPoll {

	private final GateDatabase database;

	private final long lockId;

	private final LockTable lockTable;

	private final LeaderTable leaderTable;

	private final String region;

	private final String key;

	private boolean lockTableExists;

	private boolean leaderTableExists;

	WaitingPoll(GateDatabase database, long lockId, LockTable lockTable, LeaderTable leaderTable, String region,
			String key) {
		this.database = database;
		this.lockId = lockId;
		this.lockTable = lockTable;
		this.leaderTable = leaderTable;
		this.region = region;
		this.key = key;
	}

	/**
	 * Takes the fence if it is free, else looks at who holds it.
	 * @param waitingSession the waiting session
	 * @param withProgress whether to read the leader's progress as well
	 * @return what the poll saw
	 * @throws SQLException if the database fails
	 */
	GateDatabase.Sighting poll(Connection waitingSession, boolean withProgress) throws SQLException {
		try {
			return query(waitingSession, withProgress);
		}
		catch (SQLException ex) {
			if (!this.database.tableMissing(ex)) {
				throw ex;
			}
			// a table of the gate was dropped since: ask whether it exists again
			this.lockTableExists = false;
			this.leaderTableExists = false;
			return query(waitingSession, withProgress);
		}
	}

	private GateDatabase.Sighting query(Connection session, boolean withProgress) throws SQLException {
		GateDatabase.Sighting sighting = this.database.poll(session,
				new GateDatabase.Poll(this.lockId, this.lockTable.tableName(), this.lockTableExists, this.region,
						LockTable.lockKey(this.key), this.leaderTable.tableName(), this.leaderTableExists, this.key,
						withProgress));
		if (!sighting.acquired()) {
			this.lockTableExists = sighting.leaseTableExists();
			this.leaderTableExists = sighting.leaderTableExists();
		}
		return sighting;
	}

}
