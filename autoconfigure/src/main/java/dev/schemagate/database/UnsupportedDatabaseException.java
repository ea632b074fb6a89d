package dev.schemagate.database;

import java.util.List;

/**
 * Thrown when the database to migrate is none of those the gate speaks to (its
 * {@link GateDatabase} implementations).
 */
public class UnsupportedDatabaseException extends IllegalStateException {

	private final String product;

	private final List<String> supported;

	/**
	 * Creates the exception for a database no implementation supports.
	 * @param product the database's product name, as its JDBC driver reports it
	 * @param supported the names of the databases the gate supports
	 */
	public UnsupportedDatabaseException(String product, List<String> supported) {
		super("schemagate needs " + either(supported) + " to fence migrations, but the migration database is "
				+ product);
		this.product = product;
		this.supported = List.copyOf(supported);
	}

	/**
	 * Returns the database product found instead.
	 * @return the product name, as its JDBC driver reports it
	 */
	public String getProduct() {
		return this.product;
	}

	/**
	 * Returns the databases the gate supports.
	 * @return their names
	 */
	public List<String> getSupported() {
		return this.supported;
	}

	/**
	 * Returns the databases the gate supports, as a sentence names them.
	 * @return "A, B or C"
	 */
	public String getSupportedNames() {
		return either(this.supported);
	}

	private static String either(List<String> names) {
		return (names.size() < 2) ? String.join("", names)
				: String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
	}

}
