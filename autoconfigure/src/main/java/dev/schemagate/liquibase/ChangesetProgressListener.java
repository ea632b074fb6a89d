package dev.schemagate.liquibase;

import java.util.List;

import dev.schemagate.gate.ChangesetRun;
import dev.schemagate.gate.MigrationProgress;
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

	private final List<ChangeSet> pending;

	ChangesetProgressListener(MigrationProgress progress, List<ChangeSet> pending) {
		this.progress = progress;
		this.pending = pending;
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
		int index = 0;
		for (int i = 0; i < this.pending.size(); i++) {
			if (this.pending.get(i).equals(changeSet)) {
				index = i + 1;
				break;
			}
		}
		int count = Math.max(this.pending.size(), index);
		return new ChangesetRun((index > 0) ? index : count, count, changeSet.getId(), changeSet.getAuthor(),
				changeSet.getFilePath());
	}

}
