package dev.schemagate.gate;

import java.time.Duration;
import java.util.List;

/**
 * Thrown when an instance that never migrates ('wait' mode) gives up waiting for the
 * database to hold every changeset of its changelog.
 */
public class SchemaNotReadyException extends IllegalStateException {

	private final List<String> missing;

	private final Duration waited;

	SchemaNotReadyException(List<String> missing, Duration waited) {
		super("Waited " + waited.toSeconds() + "s for the schema, which still lacks "
				+ (missing.isEmpty() ? "changesets of this instance's changelog"
						: missing.size() + " changeset" + ((missing.size() != 1) ? "s" : "") + " of this instance's "
								+ "changelog: " + String.join(", ", missing.subList(0, Math.min(5, missing.size())))
								+ ((missing.size() > 5) ? ", ..." : "")));
		this.missing = List.copyOf(missing);
		this.waited = waited;
	}

	/**
	 * Returns the changesets the database lacked at the end.
	 * @return the changesets, empty when they could not be told
	 */
	public List<String> getMissing() {
		return this.missing;
	}

	/**
	 * Returns how long the instance waited.
	 * @return the wait
	 */
	public Duration getWaited() {
		return this.waited;
	}

}
