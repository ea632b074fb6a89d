package dev.schemagate.gate;

import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * What the leader publishes in the database about its migration, so that waiting
 * instances and the endpoint can show it.
 *
 * @param instanceId the leader's instance id
 * @param host the leader's host
 * @param pid the leader's process id
 * @param acquiredAt when it took the gate
 * @param changeset the changeset it runs, if one is running
 * @param changesetStartedAt when that changeset started
 */
public record LeaderProgress(String instanceId, String host, long pid, Instant acquiredAt,
		@Nullable ChangesetRun changeset, @Nullable Instant changesetStartedAt) {

	@Override
	public String toString() {
		String leader = this.host + " pid " + this.pid;
		if (this.changeset == null || this.changesetStartedAt == null) {
			return leader + ", preparing its migration";
		}
		long seconds = Duration.between(this.changesetStartedAt, Instant.now()).toSeconds();
		return leader + ", running " + this.changeset + " for " + Math.max(0, seconds) + "s";
	}

}
