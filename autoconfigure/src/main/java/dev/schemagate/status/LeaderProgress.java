package dev.schemagate.status;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Calendar;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TimeZone;

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

	// the leader table's columns, each with the label read() reads it by
	private static final List<String> COLUMNS = List.of("INSTANCE_ID AS leader_instance", "HOST AS leader_host",
			"PID AS leader_pid", "ACQUIRED_AT AS leader_acquired_at", "CHANGESET_INDEX AS leader_index",
			"CHANGESET_COUNT AS leader_count", "CHANGESET_ID AS leader_changeset", "CHANGESET_AUTHOR AS leader_author",
			"CHANGELOG AS leader_changelog", "CHANGESET_STARTED_AT AS leader_changeset_started_at");

	/**
	 * Returns the columns of the leader's table that {@link #read(ResultSet)} reads, for a
	 * query of its own or one that reads more.
	 * @param alias the table's alias followed by a dot, or empty
	 * @return the column list, each column labelled as it is read
	 */
	public static String columns(String alias) {
		return String.join(", ", COLUMNS.stream().map((column) -> alias + column).toList());
	}

	/**
	 * Reads the leader's progress from the current row of a result holding the
	 * {@link #columns(String) columns}.
	 * @param result the result
	 * @return the progress, empty when the row holds none
	 * @throws SQLException if the result cannot be read
	 */
	public static Optional<LeaderProgress> read(ResultSet result) throws SQLException {
		String instanceId = result.getString("leader_instance");
		if (instanceId == null) {
			return Optional.empty();
		}
		String changesetId = result.getString("leader_changeset");
		ChangesetRun changeset = (changesetId != null)
				? new ChangesetRun(result.getInt("leader_index"), result.getInt("leader_count"), changesetId,
						result.getString("leader_author"), result.getString("leader_changelog"))
				: null;
		return Optional.of(new LeaderProgress(instanceId, result.getString("leader_host"),
				result.getLong("leader_pid"), Objects.requireNonNull(instant(result, "leader_acquired_at")), changeset,
				instant(result, "leader_changeset_started_at")));
	}

	// as UTC, in which a database without a type that keeps the offset stores times
	private static @Nullable Instant instant(ResultSet result, String column) throws SQLException {
		Timestamp timestamp = result.getTimestamp(column, Calendar.getInstance(TimeZone.getTimeZone("UTC")));
		return (timestamp != null) ? timestamp.toInstant() : null;
	}

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
