package dev.schemagate.gate;

/**
 * A changeset the leader runs, and where it stands among those pending.
 *
 * @param index its position among the pending changesets, from 1
 * @param count how many changesets were pending
 * @param id its id
 * @param author its author
 * @param changelog the changelog file it comes from
 */
public record ChangesetRun(int index, int count, String id, String author, String changelog) {

	@Override
	public String toString() {
		return "changeset " + this.index + "/" + this.count + " " + this.id + " (" + this.author + ")";
	}

}
