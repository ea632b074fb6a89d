package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import dev.schemagate.status.ChangesetRun;
import dev.schemagate.status.ForeignLock;
import dev.schemagate.status.GateListener;
import dev.schemagate.status.LeaderProgress;
import dev.schemagate.status.LockHolder;
import dev.schemagate.status.SchemaPosition;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Tells several listeners; one that fails does not keep the others, or the migration,
 * from going on.
 */
final class CompositeGateListener implements GateListener {

	private static final Log logger = LogFactory.getLog(CompositeGateListener.class);

	private final List<GateListener> listeners;

	private CompositeGateListener(List<GateListener> listeners) {
		this.listeners = listeners;
	}

	static GateListener of(GateListener first, List<GateListener> others) {
		List<GateListener> all = new ArrayList<>();
		all.add(first);
		all.addAll(others);
		return new CompositeGateListener(List.copyOf(all));
	}

	private void tell(Consumer<GateListener> event) {
		for (GateListener listener : this.listeners) {
			try {
				event.accept(listener);
			}
			catch (RuntimeException ex) {
				logger.warn("Gate listener " + listener + " failed", ex);
			}
		}
	}

	@Override
	public void starting() {
		tell(GateListener::starting);
	}

	@Override
	public void upToDate(SchemaPosition position, Duration took) {
		tell((listener) -> listener.upToDate(position, took));
	}

	@Override
	public void leaderEnded(LockHolder leader, Duration silent) {
		tell((listener) -> listener.leaderEnded(leader, silent));
	}

	@Override
	public void leaderEndRefused(LockHolder leader, String reason) {
		tell((listener) -> listener.leaderEndRefused(leader, reason));
	}

	@Override
	public void foreignLockHeld(ForeignLock lock, Duration waited) {
		tell((listener) -> listener.foreignLockHeld(lock, waited));
	}

	@Override
	public void waiting(Optional<LockHolder> holder, Optional<LeaderProgress> progress, Duration waited) {
		tell((listener) -> listener.waiting(holder, progress, waited));
	}

	@Override
	public void fenceAcquired() {
		tell(GateListener::fenceAcquired);
	}

	@Override
	public void acquired(Duration waited) {
		tell((listener) -> listener.acquired(waited));
	}

	@Override
	public void inspected(SchemaPosition position) {
		tell((listener) -> listener.inspected(position));
	}

	@Override
	public void changesetStarted(ChangesetRun changeset) {
		tell((listener) -> listener.changesetStarted(changeset));
	}

	@Override
	public void changesetApplied(ChangesetRun changeset, Duration took) {
		tell((listener) -> listener.changesetApplied(changeset, took));
	}

	@Override
	public void changesetFailed(ChangesetRun changeset, Throwable failure) {
		tell((listener) -> listener.changesetFailed(changeset, failure));
	}

	@Override
	public void retrying(Throwable failure, Duration backoff) {
		tell((listener) -> listener.retrying(failure, backoff));
	}

	@Override
	public void lockTimedOut(@Nullable ChangesetRun changeset, String reason, Duration backoff) {
		tell((listener) -> listener.lockTimedOut(changeset, reason, backoff));
	}

	@Override
	public void completed(Duration took) {
		tell((listener) -> listener.completed(took));
	}

	@Override
	public void failed(Throwable failure) {
		tell((listener) -> listener.failed(failure));
	}

}
