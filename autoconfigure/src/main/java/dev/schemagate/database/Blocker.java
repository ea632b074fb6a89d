package dev.schemagate.database;

import java.time.OffsetDateTime;

import org.jspecify.annotations.Nullable;

/**
 * A session the migration's session waited for.
 *
 * @param pid the database's id of the session (PostgreSQL's backend pid)
 * @param applicationName its {@code application_name}, where the database shows one
 * @param user its database user
 * @param client its client address, {@code null} over a Unix socket
 * @param state its state, such as {@code idle in transaction}
 * @param transactionStart when its transaction began
 * @param query its current or last statement, shortened
 */
public record Blocker(long pid, @Nullable String applicationName, String user, @Nullable String client,
		@Nullable String state, @Nullable OffsetDateTime transactionStart, @Nullable String query) {

	@Override
	public String toString() {
		String name = (this.applicationName != null && !this.applicationName.isEmpty())
				? " '" + this.applicationName + "'" : "";
		return "pid " + this.pid + name + " (user " + this.user
				+ ((this.client != null) ? ", from " + this.client : "") + ", " + this.state
				+ ((this.transactionStart != null) ? ", in a transaction since " + this.transactionStart : "")
				+ ((this.query != null) ? ", last statement: " + this.query : "") + ")";
	}

}
