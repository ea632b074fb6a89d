package dev.schemagate.database;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.ServiceLoader;

import dev.schemagate.database.GateDatabase.Failure;

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
		String version = String.valueOf(session.getMetaData().getDatabaseProductVersion());
		return ALL.stream()
			.filter((database) -> database.supports(product, version))
			.findFirst()
			.orElseThrow(() -> new UnsupportedDatabaseException(product, ALL.stream().map(GateDatabase::name).toList()));
	}

	/**
	 * Tells what a failure is, asking each database the gate speaks to: where the session
	 * that failed is not at hand, and their codes do not overlap.
	 * @param failure the failure
	 * @return what the first database that knows it says, {@link Failure#OTHER} if none does
	 */
	public static Failure failure(SQLException failure) {
		for (GateDatabase database : ALL) {
			Failure kind = database.failure(failure);
			if (kind != Failure.OTHER) {
				return kind;
			}
		}
		return Failure.OTHER;
	}

}
