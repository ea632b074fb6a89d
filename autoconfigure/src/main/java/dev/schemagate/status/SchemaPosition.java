package dev.schemagate.status;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * Where the database's schema stands against this instance's changelog, as the migration
 * found it before running anything.
 *
 * @param changelogLastId the id of the last changeset of the changelog that this instance
 * requires
 * @param pending how many changesets of the changelog the database lacked
 * @param unknown how many changesets the database holds that the changelog does not know:
 * more than none means a newer version of the application has migrated it
 * @param required the changesets the schema must hold for this instance to serve
 * @param known every changeset of the changelog, whatever its contexts and labels: one the
 * database holds beyond them was applied by a newer version
 */
public record SchemaPosition(@Nullable String changelogLastId, int pending, int unknown,
		List<ChangesetRef> required, List<ChangesetRef> known) {

	/**
	 * Creates the position of a migration whose changelog holds only what it requires.
	 * @param changelogLastId the id of the last changeset this instance requires
	 * @param pending how many changesets the database lacked
	 * @param unknown how many changesets the database holds that the changelog does not know
	 * @param required the changesets the schema must hold for this instance to serve
	 */
	public SchemaPosition(@Nullable String changelogLastId, int pending, int unknown, List<ChangesetRef> required) {
		this(changelogLastId, pending, unknown, required, required);
	}

	/**
	 * A changeset as Liquibase records it.
	 *
	 * @param id its id
	 * @param author its author
	 * @param changelog its changelog file
	 */
	public record ChangesetRef(String id, String author, String changelog) {

		/**
		 * Returns how the fleet registry names this changeset.
		 * @return the registry key
		 * @see #registryKey(String, String)
		 */
		public String registryKey() {
			return registryKey(this.id, this.author);
		}

		/**
		 * Returns how the fleet registry names a changeset: {@code id:author}, the form its
		 * {@code CONTRACTS} and {@code CHANGESETS} columns hold, kept from release to release.
		 * @param id the changeset's id
		 * @param author its author
		 * @return the registry key
		 */
		public static String registryKey(String id, String author) {
			return id + ":" + author;
		}

	}

}
