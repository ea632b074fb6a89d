package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

import dev.schemagate.database.GateDatabase;
import dev.schemagate.status.GateListener;
import dev.schemagate.status.LockHolder;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Tells a frozen leader from a live one, for the instances that wait for the fence. The
 * leader renews its lease every third of the time-to-live, and each renewal writes a new
 * version of the lease row. A waiter that sees neither the fence holder nor the lease row
 * change for the whole time-to-live, measured on its own monotonic clock between two of its
 * own reads, knows that the leader has not renewed for that long: it is frozen (stopped, a
 * stalled VM) or cut off. The waiter then ends the leader's fenced session, so that the
 * fence passes on; the changesets ran on that session, so the frozen leader cannot commit
 * anything after it.
 * <p>
 * No clock but the waiter's own is read, so skewed clocks between hosts can neither end a
 * healthy leader early nor keep a dead one late. A leader that renews late, but within the
 * time-to-live, is never ended.
 */
final class LeaderWatch {

	private static final Log logger = LogFactory.getLog(LeaderWatch.class);

	private final GateDatabase database;

	private final long lockId;

	private final GateSettings settings;

	private final GateListener listener;

	private final long timeToLiveNanos;

	private @Nullable Observation last;

	private long lastChangeNanos;

	private boolean refused;

	LeaderWatch(GateDatabase database, long lockId, GateSettings settings, GateListener listener) {
		this.database = database;
		this.lockId = lockId;
		this.settings = settings;
		this.listener = listener;
		this.timeToLiveNanos = settings.timeToLive().toNanos();
	}

	/**
	 * How often waiters should look at the leader: often enough to end a frozen one soon
	 * after its time-to-live, and at most once a second.
	 * @param timeToLive the lease's time-to-live
	 * @return the poll interval
	 */
	static Duration pollInterval(Duration timeToLive) {
		Duration quarter = timeToLive.dividedBy(4);
		return (quarter.compareTo(Duration.ofSeconds(1)) < 0) ? quarter : Duration.ofSeconds(1);
	}

	/**
	 * Looks at what a poll saw of the fence holder and its lease, and ends the holder's
	 * session once neither has changed for the time-to-live.
	 * @param waitingSession the waiting session, idle between polls
	 * @param sighting what the waiter's last poll saw
	 * @return whether another session holds the fence, or none, since the last look: the
	 * leader looked at before has finished or gone
	 * @throws SQLException if the database fails
	 */
	boolean observe(Connection waitingSession, GateDatabase.Sighting sighting) throws SQLException {
		long now = System.nanoTime();
		Optional<LockHolder> holder = sighting.holder();
		Observation observation = new Observation(holder.map(LockHolder::backendPid).orElse(null),
				holder.map(LockHolder::connectedAt).orElse(null), sighting.leaseVersion());
		if (!observation.equals(this.last)) {
			boolean holderChanged = this.last != null && (!Objects.equals(this.last.holderPid(), observation.holderPid())
					|| !Objects.equals(this.last.holderStart(), observation.holderStart()));
			this.last = observation;
			this.lastChangeNanos = now;
			return holderChanged;
		}
		if (holder.isEmpty() || now - this.lastChangeNanos < this.timeToLiveNanos) {
			return false;
		}
		Duration silent = Duration.ofNanos(now - this.lastChangeNanos);
		end(waitingSession, holder.get(), silent);
		// look again from scratch: the next holder gets a whole time-to-live
		this.last = null;
		return false;
	}

	private void end(Connection waitingSession, LockHolder holder, Duration silent) throws SQLException {
		try {
			if (this.database.endHolder(waitingSession, this.lockId, holder)) {
				logger.warn("The schema migration leader " + holder + " has not renewed its lease for "
						+ silent.toMillis() + "ms (time-to-live " + this.settings.timeToLive().toMillis()
						+ "ms): ended its session to take over");
				this.listener.leaderEnded(holder, silent);
			}
		}
		catch (SQLException ex) {
			if (!this.database.refusesToEnd(ex)) {
				throw ex;
			}
			String reason = "The schema migration leader " + holder + " has not renewed its lease for "
					+ silent.toSeconds() + "s, but the migration user may not end its session (" + ex.getMessage()
					+ "). Waiting for it instead; to let instances take over from a frozen leader, give them "
					+ this.database.rightToEnd() + ".";
			if (!this.refused) {
				logger.warn(reason);
				this.refused = true;
			}
			this.listener.leaderEndRefused(holder, reason);
		}
	}

	private record Observation(@Nullable Long holderPid, @Nullable Object holderStart, @Nullable String leaseVersion) {
	}

}
