package dev.schemagate.status;

import java.time.OffsetDateTime;

import org.jspecify.annotations.Nullable;

/**
 * The database session that holds a gate's fence, as another instance sees it.
 *
 * @param backendPid the database's id of the session: PostgreSQL's backend process id,
 * MariaDB's connection id
 * @param applicationName the session's {@code application_name} (names host and pid of
 * a schemagate instance), where the database shows one
 * @param clientAddress where the session connects from
 * @param connectedAt when the session was opened
 */
public record LockHolder(long backendPid, @Nullable String applicationName, @Nullable String clientAddress,
		@Nullable OffsetDateTime connectedAt) {

	@Override
	public String toString() {
		String name = (this.applicationName != null && !this.applicationName.isEmpty()) ? "'" + this.applicationName + "'"
				: "an unnamed session";
		return name + " (database session " + this.backendPid
				+ ((this.clientAddress != null) ? ", from " + this.clientAddress : "")
				+ ((this.connectedAt != null) ? ", connected at " + this.connectedAt : "") + ")";
	}

}
