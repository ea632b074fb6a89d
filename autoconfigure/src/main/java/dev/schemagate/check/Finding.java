package dev.schemagate.check;

import org.jspecify.annotations.Nullable;

/**
 * A change of a changeset that trips a {@link Rule}.
 *
 * @param rule the rule
 * @param changesetId the changeset's id
 * @param author the changeset's author
 * @param changelog the changelog file it comes from
 * @param change what the change does, such as {@code drops column audit.note}
 * @param allowedBecause why the changeset allows the rule, {@code null} when it does not
 */
public record Finding(Rule rule, String changesetId, String author, String changelog, String change,
		@Nullable String allowedBecause) {

	/**
	 * Tells whether the changeset allows the rule explicitly.
	 * @return whether it is allowed
	 */
	public boolean allowed() {
		return this.allowedBecause != null;
	}

	@Override
	public String toString() {
		String where = this.changesetId + " (" + this.author + ") of " + this.changelog + " " + this.change + " ["
				+ this.rule.id() + "]: ";
		if (allowed()) {
			return where + "allowed, " + this.allowedBecause;
		}
		return where + this.rule.reason() + "; instead, " + this.rule.alternative();
	}

}
