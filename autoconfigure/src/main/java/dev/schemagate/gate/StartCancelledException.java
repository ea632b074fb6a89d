package dev.schemagate.gate;

/**
 * Thrown when an instance stops its start because the JVM is to stop (SIGTERM): it no
 * longer waits, retries or applies changesets, and has let go of the fence; the rest of the
 * application is not started.
 */
public class StartCancelledException extends IllegalStateException {

	/**
	 * Creates the exception.
	 * @param doing what the start was doing when it stopped
	 */
	public StartCancelledException(String doing) {
		super("Stopped " + doing + ", as the JVM is shutting down");
	}

	StartCancelledException(String doing, Throwable cause) {
		super("Stopped " + doing + ", as the JVM is shutting down", cause);
	}

}
