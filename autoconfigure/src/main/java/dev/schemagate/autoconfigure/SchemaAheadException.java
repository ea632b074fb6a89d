package dev.schemagate.autoconfigure;

import java.util.List;

import dev.schemagate.status.SchemaPosition.ChangesetRef;

/**
 * Thrown, with {@code schemagate.schema-ahead=fail}, when the database holds changesets
 * this instance's changelog does not know: a newer version of the application migrated it.
 */
public class SchemaAheadException extends IllegalStateException {

	private final List<ChangesetRef> unknown;

	SchemaAheadException(String gate, List<ChangesetRef> unknown) {
		super("The schema of '" + gate + "' is ahead of this instance: the database holds " + unknown.size()
				+ " changeset" + ((unknown.size() != 1) ? "s" : "") + " its changelog does not know, last "
				+ describe(unknown.get(unknown.size() - 1)) + ". A newer version of the application migrated it.");
		this.unknown = List.copyOf(unknown);
	}

	static String describe(ChangesetRef changeset) {
		return changeset.id() + " (" + changeset.author() + ") of " + changeset.changelog();
	}

	/**
	 * Returns the changesets the database holds that the changelog does not know.
	 * @return the changesets, in the order they were applied
	 */
	public List<ChangesetRef> getUnknown() {
		return this.unknown;
	}

}
