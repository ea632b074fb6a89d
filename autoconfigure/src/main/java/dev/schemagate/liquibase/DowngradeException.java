package dev.schemagate.liquibase;

/**
 * Thrown when the changesets a newer version applied cannot be rolled back; nothing was.
 */
public class DowngradeException extends RuntimeException {

	DowngradeException(String message, Throwable cause) {
		super(message, cause);
	}

}
