package dev.schemagate.gate;

import java.time.Duration;

import org.springframework.core.NestedExceptionUtils;

/**
 * Thrown when the database stays out of reach for longer than the gate retries.
 */
public class DatabaseUnavailableException extends IllegalStateException {

	DatabaseUnavailableException(Duration retryTimeout, Throwable cause) {
		super("Could not migrate: the database stayed out of reach for " + retryTimeout.toSeconds() + "s ("
				+ NestedExceptionUtils.getMostSpecificCause(cause).getMessage() + ")", cause);
	}

}
