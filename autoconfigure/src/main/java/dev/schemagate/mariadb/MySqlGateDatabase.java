package dev.schemagate.mariadb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import dev.schemagate.database.Blocker;

/**
 * The gate's fence and its tables on MySQL 8.0.17 and later, as on MariaDB but for what
 * MySQL names otherwise: its statement time-out ({@code max_execution_time}, which bounds
 * {@code SELECT} only), its lock waits ({@code performance_schema.data_lock_waits} and
 * {@code metadata_locks}), no {@code ADD COLUMN IF NOT EXISTS} and no {@code TIME_MS} in
 * {@code PROCESSLIST}. No MySQL server runs where schemagate is built: this class is tested
 * by what it shares with MariaDB, not on MySQL itself.
 */
public final class MySqlGateDatabase extends NamedLockGateDatabase {

	/** The product name MySQL Connector/J reports, for MariaDB's servers too. */
	public static final String PRODUCT = "MySQL";

	@Override
	public boolean supports(String product, String version) {
		return PRODUCT.equals(product) && !version.contains(MariaDbGateDatabase.PRODUCT);
	}

	@Override
	public String name() {
		return PRODUCT;
	}

	// rows InnoDB's transactions hold, then metadata locks (DDL) granted to another thread
	// on what the session waits for, which performance_schema shows where it is enabled
	@Override
	public List<Blocker> blockers(Connection session, long sessionId) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("""
				SELECT t.trx_mysql_thread_id, NULL, p.USER, p.HOST, t.trx_state, t.trx_started, LEFT(p.INFO, 200)
				FROM performance_schema.data_lock_waits w
				JOIN information_schema.INNODB_TRX r ON r.trx_id = w.REQUESTING_ENGINE_TRANSACTION_ID
				JOIN information_schema.INNODB_TRX t ON t.trx_id = w.BLOCKING_ENGINE_TRANSACTION_ID
				LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
				WHERE r.trx_mysql_thread_id = ?
				UNION ALL
				SELECT gt.PROCESSLIST_ID, NULL, gt.PROCESSLIST_USER, gt.PROCESSLIST_HOST, 'metadata lock', NULL,
					LEFT(gt.PROCESSLIST_INFO, 200)
				FROM performance_schema.metadata_locks w
				JOIN performance_schema.threads wt ON wt.THREAD_ID = w.OWNER_THREAD_ID
				JOIN performance_schema.metadata_locks g ON g.OBJECT_TYPE = w.OBJECT_TYPE
					AND g.OBJECT_SCHEMA <=> w.OBJECT_SCHEMA AND g.OBJECT_NAME <=> w.OBJECT_NAME
					AND g.LOCK_STATUS = 'GRANTED' AND g.OWNER_THREAD_ID <> w.OWNER_THREAD_ID
				JOIN performance_schema.threads gt ON gt.THREAD_ID = g.OWNER_THREAD_ID
				WHERE w.LOCK_STATUS = 'PENDING' AND wt.PROCESSLIST_ID = ? AND gt.PROCESSLIST_ID IS NOT NULL
				""")) {
			statement.setLong(1, sessionId);
			statement.setLong(2, sessionId);
			return readBlockers(statement);
		}
	}

	// in milliseconds, for SELECT statements only: MySQL bounds no other statement's run time
	@Override
	String limitStatementTime(Duration timeout) {
		return "SET SESSION max_execution_time = " + Math.max(1, timeout.toMillis());
	}

	@Override
	String resetStatementTime() {
		return "SET SESSION max_execution_time = @@GLOBAL.max_execution_time";
	}

	// the caller asks first whether the column is there; two instances adding it at once
	// fail in one with a duplicate column, which counts as created concurrently
	@Override
	String addColumnClause() {
		return "ADD COLUMN";
	}

	@Override
	String stateBegan() {
		return "UTC_TIMESTAMP(6) - INTERVAL TIME SECOND";
	}

}
