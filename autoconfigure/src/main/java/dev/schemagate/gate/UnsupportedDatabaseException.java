package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Thrown when the database to migrate is not PostgreSQL, whose advisory locks the gate is
 * built on.
 */
public class UnsupportedDatabaseException extends IllegalStateException {

	private final String product;

	UnsupportedDatabaseException(String product) {
		super("schemagate needs PostgreSQL to fence migrations, but the migration database is " + product);
		this.product = product;
	}

	/**
	 * Fails unless a session's database is PostgreSQL.
	 * @param session a session on the database
	 * @throws SQLException if the database cannot tell what it is
	 * @throws UnsupportedDatabaseException if it is another database
	 */
	static void requirePostgresql(Connection session) throws SQLException {
		String product = session.getMetaData().getDatabaseProductName();
		if (!"PostgreSQL".equals(product)) {
			throw new UnsupportedDatabaseException(product);
		}
	}

	/**
	 * Returns the database product found instead.
	 * @return the product name, as its JDBC driver reports it
	 */
	public String getProduct() {
		return this.product;
	}

}
