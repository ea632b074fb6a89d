package dev.schemagate.gate;

import java.time.Duration;

import dev.schemagate.status.ChangesetRun;
import dev.schemagate.status.ForeignLock;
import dev.schemagate.status.SchemaPosition;

/**
 * Where a {@link Migration} reports each changeset it runs; the gate logs it, publishes it
 * for waiting instances and records it in the migration history.
 */
public interface MigrationProgress {

	/**
	 * Reports, every few seconds, that the migration tool's own lock is held by a process
	 * outside the fleet, which the migration waits for.
	 * @param lock the lock and who may hold it
	 * @param waited how long the migration has waited for it so far
	 */
	void waitingForForeignLock(ForeignLock lock, Duration waited);

	/**
	 * Reports where the schema stands before the migration runs anything.
	 * @param position the schema's position against the changelog
	 */
	void inspected(SchemaPosition position);

	/**
	 * Reports that a changeset starts.
	 * @param changeset the changeset
	 */
	void started(ChangesetRun changeset);

	/**
	 * Reports that the changeset last started has been applied.
	 * @param changeset the changeset
	 */
	void applied(ChangesetRun changeset);

	/**
	 * Reports that the changeset last started failed.
	 * @param changeset the changeset
	 * @param failure why
	 */
	void failed(ChangesetRun changeset, Throwable failure);

}
