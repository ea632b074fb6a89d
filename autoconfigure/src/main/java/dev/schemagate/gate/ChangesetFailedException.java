package dev.schemagate.gate;

import dev.schemagate.status.ChangesetRun;
import org.jspecify.annotations.Nullable;

import org.springframework.core.NestedExceptionUtils;

/**
 * Thrown when a changeset fails under the gate.
 */
public class ChangesetFailedException extends IllegalStateException {

	private final ChangesetRun changeset;

	private final @Nullable String databaseMessage;

	private final @Nullable String failedOn;

	ChangesetFailedException(ChangesetRun changeset, Throwable cause) {
		super(changeset + " failed: " + NestedExceptionUtils.getMostSpecificCause(cause).getMessage(), cause);
		this.changeset = changeset;
		this.databaseMessage = NestedExceptionUtils.getMostSpecificCause(cause).getMessage();
		this.failedOn = null;
	}

	// the failure of the leader this instance waited for, which it does not repeat
	ChangesetFailedException(ChangesetRun changeset, MigrationHistory.Entry failed) {
		super(changeset + " failed on " + describe(failed) + ": " + failed.error()
				+ "; this instance waited for it and did not run it again");
		this.changeset = changeset;
		this.databaseMessage = String.valueOf(failed.error());
		this.failedOn = describe(failed);
	}

	private static String describe(MigrationHistory.Entry failed) {
		return "instance " + failed.instanceId() + " (pid " + failed.pid() + " on " + failed.host()
				+ ((failed.appVersion() != null) ? ", version " + failed.appVersion() : "") + ")";
	}

	/**
	 * Returns the changeset that failed.
	 * @return the changeset
	 */
	public ChangesetRun getChangeset() {
		return this.changeset;
	}

	/**
	 * Returns the instance whose run of the changeset failed, when it is not this one: this
	 * instance waited for it and stopped with its failure instead of repeating it.
	 * @return the instance, {@code null} when this instance ran the changeset
	 */
	public @Nullable String getFailedOn() {
		return this.failedOn;
	}

	/**
	 * Returns what the database said.
	 * @return the innermost cause's message
	 */
	public @Nullable String getDatabaseMessage() {
		return this.databaseMessage;
	}

}
