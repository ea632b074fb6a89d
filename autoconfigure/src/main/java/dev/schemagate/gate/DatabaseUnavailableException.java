package dev.schemagate.gate;

import java.time.Duration;

/**
 * Thrown when the database stays out of reach past {@code schemagate.retry.timeout}.
 */
public class DatabaseUnavailableException extends IllegalStateException {

	DatabaseUnavailableException(Duration retryTimeout, Throwable cause) {
		super("Could not migrate: the database stayed out of reach for " + retryTimeout.toSeconds() + "s ("
				+ rootMessage(cause) + "). Check that it runs and that the migration URL is right, or raise "
				+ "schemagate.retry.timeout.", cause);
	}

	static String rootMessage(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return root.getMessage();
	}

}
