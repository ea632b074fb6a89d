package dev.schemagate.liquibase;

import java.util.Locale;

import dev.schemagate.status.SchemaPosition.ChangesetRef;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;

/**
 * A changeset as Liquibase tells two apart: by changelog file, id and author, ignoring case
 * and the form of the file's path, as {@code RanChangeSet.isSameAs} compares them. Readiness
 * and health match what the schema holds with it, so that they agree with the migration on
 * two changesets of one id and author in two files.
 *
 * @param changelog the changelog file, normalised
 * @param id the id, lower-cased
 * @param author the author, lower-cased
 */
public record ChangesetKey(String changelog, String id, String author) {

	/**
	 * Creates the key of a changeset as Liquibase records it.
	 * @param changelog its changelog file, as {@code DATABASECHANGELOG.FILENAME} holds it
	 * @param id its id
	 * @param author its author
	 * @return the key
	 */
	public static ChangesetKey of(String changelog, String id, String author) {
		String path = DatabaseChangeLog.normalizePath(changelog);
		return new ChangesetKey(((path != null) ? path : "").toLowerCase(Locale.ROOT), id.toLowerCase(Locale.ROOT),
				author.toLowerCase(Locale.ROOT));
	}

	/**
	 * Creates the key of a changeset reference.
	 * @param changeset the changeset
	 * @return the key
	 */
	public static ChangesetKey of(ChangesetRef changeset) {
		return of(changeset.changelog(), changeset.id(), changeset.author());
	}

	/**
	 * Creates the key of a changeset of a changelog.
	 * @param changeSet the changeset
	 * @return the key
	 */
	public static ChangesetKey of(ChangeSet changeSet) {
		return of(changeSet.getFilePath(), changeSet.getId(), changeSet.getAuthor());
	}

}
