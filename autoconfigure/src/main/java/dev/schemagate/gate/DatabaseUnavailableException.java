package dev.schemagate.gate;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * Thrown when the database stays out of reach for longer than the gate retries.
 */
public class DatabaseUnavailableException extends IllegalStateException {

	DatabaseUnavailableException(Duration retryTimeout, Throwable cause) {
		super("Could not migrate: the database stayed out of reach for " + retryTimeout.toSeconds() + "s ("
				+ rootMessage(cause) + ")", cause);
	}

	static @Nullable String rootMessage(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return root.getMessage();
	}

}
