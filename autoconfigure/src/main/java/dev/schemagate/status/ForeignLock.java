package dev.schemagate.status;

import java.time.LocalDateTime;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The migration tool's own lock (Liquibase's {@code DATABASECHANGELOGLOCK} row) held by a
 * process outside the fleet: a plain instance without schemagate, a command-line run, a
 * build plugin. The leader waits for it rather than run the same changesets beside it.
 *
 * @param table the lock table
 * @param lockedBy the owner the lock names, as its holder wrote it
 * @param lockedSince when it was taken, in the holder's own time zone
 * @param possibleHolders the database sessions that may hold it: they began before it was
 * taken and are still there
 */
public record ForeignLock(String table, @Nullable String lockedBy, @Nullable LocalDateTime lockedSince,
		List<String> possibleHolders) {

	@Override
	public String toString() {
		return this.table + " locked by " + ((this.lockedBy != null) ? "'" + this.lockedBy + "'" : "an unnamed owner")
				+ ((this.lockedSince != null) ? " since " + this.lockedSince : "") + ", held by one of "
				+ this.possibleHolders.size() + " database sessions that began before it: "
				+ String.join("; ", this.possibleHolders);
	}

}
