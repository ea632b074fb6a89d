package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.SQLException;

import dev.schemagate.database.GateDatabase;
import org.jspecify.annotations.Nullable;

/**
 * What a waiting instance asks the database on each poll, in one statement: take the fence
 * if it is free, else who holds it, the version of its lease row and, when asked for, the
 * leader's progress. One statement per poll keeps the load of a waiting fleet at one query
 * per instance and poll interval. An instance without a session of its own asks on a
 * borrowed connection: it only looks, and counts the fleet's live instances to spread its
 * asks. The statement is the database's ({@link GateDatabase#poll}); this keeps what the
 * poll knows of the gate's tables.
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

	private final GateDatabase.@Nullable Fleet fleet;

	// the registry's table exists from an instance's join on, and not in a bare gate's database
	private @Nullable Boolean fleetTableExists;

	WaitingPoll(GateDatabase database, long lockId, LockTable lockTable, LeaderTable leaderTable, String region,
			String key, GateDatabase.@Nullable Fleet fleet) {
		this.fleet = fleet;
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
		return poll(waitingSession, withProgress, true);
	}

	/**
	 * Looks at who holds the fence, on a connection borrowed from a pool, without taking
	 * it, and counts the fleet's live instances.
	 * @param borrowed the borrowed connection
	 * @param withProgress whether to read the leader's progress as well
	 * @return what the ask saw
	 * @throws SQLException if the database fails
	 */
	GateDatabase.Sighting ask(Connection borrowed, boolean withProgress) throws SQLException {
		if (this.fleet != null && this.fleetTableExists == null) {
			this.fleetTableExists = this.database.tableExists(borrowed, this.fleet.table());
		}
		return poll(borrowed, withProgress, false);
	}

	private GateDatabase.Sighting poll(Connection session, boolean withProgress, boolean take) throws SQLException {
		try {
			return query(session, withProgress, take);
		}
		catch (SQLException ex) {
			if (!this.database.tableMissing(ex)) {
				throw ex;
			}
			// a table of the gate was dropped since: ask whether it exists again
			this.lockTableExists = false;
			this.leaderTableExists = false;
			this.fleetTableExists = null;
			return query(session, withProgress, take);
		}
	}

	private GateDatabase.Sighting query(Connection session, boolean withProgress, boolean take) throws SQLException {
		GateDatabase.Fleet counted = (!take && Boolean.TRUE.equals(this.fleetTableExists)) ? this.fleet : null;
		GateDatabase.Sighting sighting = this.database.poll(session,
				new GateDatabase.Poll(this.lockId, this.lockTable.tableName(), this.lockTableExists, this.region,
						LockTable.lockKey(this.key), this.leaderTable.tableName(), this.leaderTableExists, this.key,
						withProgress, take, counted));
		if (!sighting.acquired()) {
			this.lockTableExists = sighting.leaseTableExists();
			this.leaderTableExists = sighting.leaderTableExists();
		}
		return sighting;
	}

}
