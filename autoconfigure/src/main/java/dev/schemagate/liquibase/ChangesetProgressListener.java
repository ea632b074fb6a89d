package dev.schemagate.liquibase;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.schemagate.gate.MigrationProgress;
import dev.schemagate.status.ChangesetRun;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.changelog.visitor.AbstractChangeExecListener;
import liquibase.database.Database;

/**
 * Reports each changeset Liquibase runs, with its position among the pending ones, to the
 * gate's {@link MigrationProgress}.
 */
final class ChangesetProgressListener extends AbstractChangeExecListener {

	private final MigrationProgress progress;

	private final Map<ChangeSet, Integer> positions = new HashMap<>();

	ChangesetProgressListener(MigrationProgress progress) {
		this.progress = progress;
	}

	/**
	 * Sets the pending changesets, read under Liquibase's lock before the first runs.
	 * @param pending the pending changesets, in the order they run
	 */
	void pending(List<ChangeSet> pending) {
		this.positions.clear();
		for (ChangeSet changeSet : pending) {
			this.positions.putIfAbsent(changeSet, this.positions.size() + 1);
		}
	}

	@Override
	public void willRun(ChangeSet changeSet, DatabaseChangeLog databaseChangeLog, Database database,
			ChangeSet.RunStatus runStatus) {
		this.progress.started(run(changeSet));
	}

	@Override
	public void ran(ChangeSet changeSet, DatabaseChangeLog databaseChangeLog, Database database,
			ChangeSet.ExecType execType) {
		this.progress.applied(run(changeSet));
	}

	@Override
	public void runFailed(ChangeSet changeSet, DatabaseChangeLog databaseChangeLog, Database database,
			Exception exception) {
		this.progress.failed(run(changeSet), exception);
	}

	private ChangesetRun run(ChangeSet changeSet) {
		int count = this.positions.size();
		// a changeset Liquibase runs that was not listed as pending counts as the last one
		int index = this.positions.getOrDefault(changeSet, count);
		return new ChangesetRun(Math.max(index, 1), Math.max(count, 1), changeSet.getId(), changeSet.getAuthor(),
				changeSet.getFilePath(), changeSet.isRunInTransaction());
	}

}
