package dev.schemagate.status;

/**
 * A changeset the leader runs, and where it stands among those pending.
 *
 * @param index its position among the pending changesets, from 1
 * @param count how many changesets were pending
 * @param id its id
 * @param author its author
 * @param changelog the changelog file it comes from
 * @param transactional whether it runs in one transaction, so that a failed attempt leaves
 * nothing behind and may be repeated
 */
public record ChangesetRun(int index, int count, String id, String author, String changelog, boolean transactional) {

	/**
	 * Creates a changeset that runs in one transaction.
	 * @param index its position among the pending changesets, from 1
	 * @param count how many changesets were pending
	 * @param id its id
	 * @param author its author
	 * @param changelog the changelog file it comes from
	 */
	public ChangesetRun(int index, int count, String id, String author, String changelog) {
		this(index, count, id, author, changelog, true);
	}

	@Override
	public String toString() {
		return "changeset " + this.index + "/" + this.count + " " + this.id + " (" + this.author + ")";
	}

}
