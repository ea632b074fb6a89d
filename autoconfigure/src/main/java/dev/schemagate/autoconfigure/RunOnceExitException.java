package dev.schemagate.autoconfigure;

import org.springframework.boot.ExitCodeGenerator;

/**
 * Ends the run of a mode that runs once ('job', 'plan') with a non-zero exit code, which
 * Spring Boot makes the JVM's: a job whose contract changeset or downgrade failed (1), a plan
 * whose migration the changeset check would refuse (2), or an exit code the application's own
 * {@link ExitCodeGenerator} gave.
 */
public class RunOnceExitException extends RuntimeException implements ExitCodeGenerator {

	private final String mode;

	private final int exitCode;

	RunOnceExitException(String mode, int exitCode, String reason) {
		super(reason);
		this.mode = mode;
		this.exitCode = exitCode;
	}

	/**
	 * Returns the mode that ended: {@code job} or {@code plan}.
	 * @return the mode
	 */
	public String getMode() {
		return this.mode;
	}

	@Override
	public int getExitCode() {
		return this.exitCode;
	}

}
