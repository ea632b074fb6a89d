package dev.schemagate.liquibase;

import org.jspecify.annotations.Nullable;

/**
 * Thrown when the changesets a newer version applied cannot be rolled back; nothing was.
 */
public class DowngradeException extends RuntimeException {

	DowngradeException(String message, @Nullable Throwable cause) {
		super(message, cause);
	}

}
