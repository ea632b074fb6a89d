package dev.schemagate.database;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The {@link GateDatabase} implementations on the class path, loaded once, and the choice of
 * one for the database a session is on.
 */
public final class GateDatabases {

	private static final List<GateDatabase> ALL = ServiceLoader
		.load(GateDatabase.class, GateDatabase.class.getClassLoader())
		.stream()
		.map(ServiceLoader.Provider::get)
		.toList();

	private GateDatabases() {
	}

	/**
	 * Returns the gate's database for the database a session is on.
	 * @param session a session on the database
	 * @return the implementation that supports it
	 * @throws SQLException if the database cannot tell what it is
	 * @throws UnsupportedDatabaseException if no implementation supports it
	 */
	public static GateDatabase of(Connection session) throws SQLException {
		String product = session.getMetaData().getDatabaseProductName();
		return ALL.stream()
			.filter((database) -> database.supports(product))
			.findFirst()
			.orElseThrow(() -> new UnsupportedDatabaseException(product, ALL.stream().map(GateDatabase::name).toList()));
	}

}
