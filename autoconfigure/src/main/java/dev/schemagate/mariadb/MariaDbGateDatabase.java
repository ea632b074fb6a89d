package dev.schemagate.mariadb;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import dev.schemagate.database.Blocker;

/**
 * The gate's fence and its tables on MariaDB, through MariaDB's driver or MySQL
 * Connector/J, which names the server MySQL and is told apart by the server's version.
 */
public final class MariaDbGateDatabase extends NamedLockGateDatabase {

	/** The product name MariaDB's JDBC driver reports. */
	public static final String PRODUCT = "MariaDB";

	@Override
	public boolean supports(String product, String version) {
		return PRODUCT.equals(product) || (MySqlGateDatabase.PRODUCT.equals(product) && version.contains(PRODUCT));
	}

	@Override
	public String name() {
		return PRODUCT;
	}

	// InnoDB's transactions holding what the session waits for; metadata locks (DDL) are
	// not shown without the metadata_lock_info plugin, so then no blocker is named
	@Override
	public List<Blocker> blockers(Connection session, long sessionId) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("""
				SELECT t.trx_mysql_thread_id, NULL, p.USER, p.HOST, t.trx_state, t.trx_started, LEFT(p.INFO, 200)
				FROM information_schema.INNODB_LOCK_WAITS w
				JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id
				JOIN information_schema.INNODB_TRX t ON t.trx_id = w.blocking_trx_id
				LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
				WHERE r.trx_mysql_thread_id = ? ORDER BY t.trx_started
				""")) {
			statement.setLong(1, sessionId);
			return readBlockers(statement);
		}
	}

	// in seconds, for every statement
	@Override
	String limitStatementTime(Duration timeout) {
		return "SET SESSION max_statement_time = " + String.format(Locale.ROOT, "%.3f", timeout.toMillis() / 1000.0);
	}

	@Override
	String resetStatementTime() {
		return "SET SESSION max_statement_time = @@GLOBAL.max_statement_time";
	}

	@Override
	String addColumnClause() {
		return "ADD COLUMN IF NOT EXISTS";
	}

	@Override
	String stateBegan() {
		return "UTC_TIMESTAMP(6) - INTERVAL TIME_MS * 1000 MICROSECOND";
	}

}
