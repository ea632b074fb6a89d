package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * What a waiting instance asks the database on each poll, in one statement: take the fence
 * if it is free, else who holds it, the version of its lease row and, when asked for, the
 * leader's progress. One statement per poll keeps the load of a waiting fleet at one query
 * per instance and poll interval, however many instances wait.
 * <p>
 * The gate's tables appear only once a first leader has created them; until then the poll
 * asks whether they exist instead of reading them.
 */
final class WaitingPoll {

	private static final String UNDEFINED_TABLE = "42P01";

	/** Begins each poll, so that an operator reading {@code pg_stat_activity} sees what it is. */
	static final String MARKER = "/* schemagate waiting poll */ ";

	private final long lockId;

	private final LockTable lockTable;

	private final LeaderTable leaderTable;

	private final String region;

	private final String key;

	private boolean lockTableExists;

	private boolean leaderTableExists;

	WaitingPoll(long lockId, LockTable lockTable, LeaderTable leaderTable, String region, String key) {
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
	Sighting poll(Connection waitingSession, boolean withProgress) throws SQLException {
		try {
			return query(waitingSession, withProgress);
		}
		catch (SQLException ex) {
			if (!UNDEFINED_TABLE.equals(ex.getSQLState())) {
				throw ex;
			}
			// a table of the gate was dropped since: ask whether it exists again
			this.lockTableExists = false;
			this.leaderTableExists = false;
			return query(waitingSession, withProgress);
		}
	}

	private Sighting query(Connection session, boolean withProgress) throws SQLException {
		boolean readProgress = withProgress && this.leaderTableExists;
		List<Object> parameters = new ArrayList<>();
		// a session of ours never holds the fence before it takes it: one that does is shared
		// with another client (a pooler in transaction mode), where pg_try_advisory_lock would
		// say yes to both; CASE evaluates the lock only when the session does not hold it
		StringBuilder sql = new StringBuilder(MARKER + "SELECT CASE WHEN EXISTS (" + Fence.HELD_BY_THIS_SESSION
				+ ") THEN NULL ELSE pg_try_advisory_lock(?) END, h.pid, h.application_name, h.client, h.backend_start, ");
		parameters.addAll(Fence.holderParameters(this.lockId));
		parameters.add(this.lockId);
		if (this.lockTableExists) {
			sql.append("(").append(this.lockTable.rowVersionQuery()).append(")");
			parameters.add(this.region);
			parameters.add(LockTable.lockKey(this.key));
		}
		else {
			sql.append("CASE WHEN to_regclass(?) IS NOT NULL THEN '' END");
			parameters.add(this.lockTable.tableName());
		}
		if (readProgress) {
			sql.append(", ").append(LeaderTable.columns("p."));
		}
		else {
			sql.append(", to_regclass(?) IS NOT NULL");
			parameters.add(this.leaderTable.tableName());
		}
		sql.append(" FROM (SELECT 1) one LEFT JOIN (").append(Fence.HOLDER_QUERY).append(" LIMIT 1) h ON true");
		parameters.addAll(Fence.holderParameters(this.lockId));
		if (readProgress) {
			sql.append(" LEFT JOIN ").append(this.leaderTable.tableName()).append(" p ON p.LOCK_KEY = ?");
			parameters.add(this.key);
		}
		try (PreparedStatement statement = session.prepareStatement(sql.toString())) {
			for (int i = 0; i < parameters.size(); i++) {
				statement.setObject(i + 1, parameters.get(i));
			}
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				boolean acquired = result.getBoolean(1);
				if (result.wasNull()) {
					throw new SharedSessionException("the session that answered already held the schema migration "
							+ "lock this instance was asking for");
				}
				if (acquired) {
					return Sighting.ACQUIRED;
				}
				Optional<LockHolder> holder = Fence.holder(result, 2);
				String leaseVersion = null;
				if (this.lockTableExists) {
					leaseVersion = result.getString(6);
				}
				else {
					this.lockTableExists = result.getString(6) != null;
				}
				Optional<LeaderProgress> progress = Optional.empty();
				if (readProgress) {
					progress = LeaderTable.progress(result, 7);
				}
				else {
					this.leaderTableExists = result.getBoolean(7);
				}
				return new Sighting(false, holder, leaseVersion, progress);
			}
		}
	}

	/**
	 * What one poll saw.
	 *
	 * @param acquired whether the poll took the fence; nothing else is read then
	 * @param holder who holds the fence, empty when nobody does
	 * @param leaseVersion the version of the lease row, which each renewal changes; null
	 * when there is no row
	 * @param progress the leader's progress, when it was asked for and is published
	 */
	record Sighting(boolean acquired, Optional<LockHolder> holder, @Nullable String leaseVersion,
			Optional<LeaderProgress> progress) {

		static final Sighting ACQUIRED = new Sighting(true, Optional.empty(), null, Optional.empty());

	}

}
