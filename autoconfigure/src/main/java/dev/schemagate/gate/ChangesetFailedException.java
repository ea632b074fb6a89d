package dev.schemagate.gate;

/**
 * Thrown when a changeset fails under the gate.
 */
public class ChangesetFailedException extends IllegalStateException {

	private final ChangesetRun changeset;

	private final String databaseMessage;

	ChangesetFailedException(ChangesetRun changeset, Throwable cause) {
		super(changeset + " failed: " + DatabaseUnavailableException.rootMessage(cause), cause);
		this.changeset = changeset;
		this.databaseMessage = DatabaseUnavailableException.rootMessage(cause);
	}

	/**
	 * Returns the changeset that failed.
	 * @return the changeset
	 */
	public ChangesetRun getChangeset() {
		return this.changeset;
	}

	/**
	 * Returns what the database said.
	 * @return the innermost cause's message
	 */
	public String getDatabaseMessage() {
		return this.databaseMessage;
	}

}
