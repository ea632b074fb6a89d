package dev.schemagate.check;

import java.util.List;

import liquibase.changelog.ChangeSet;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Checks the changesets a migration is about to apply, before the first of them runs: logs
 * each finding, keeps them for health and the endpoint to show, and, when unsafe changesets
 * must fail the migration, refuses them before anything is applied.
 */
public final class ChangesetReview {

	private static final Log logger = LogFactory.getLog(ChangesetReview.class);

	private final String name;

	private final boolean failOnUnsafe;

	private final ChangesetCheck check = new ChangesetCheck();

	private volatile List<Finding> findings = List.of();

	/**
	 * Creates the review of one migration.
	 * @param name the migration's name, such as its Liquibase bean's
	 * @param failOnUnsafe whether a changeset that trips a rule it does not allow fails the
	 * migration, rather than being logged as a warning
	 */
	public ChangesetReview(String name, boolean failOnUnsafe) {
		this.name = name;
		this.failOnUnsafe = failOnUnsafe;
	}

	/**
	 * Checks the changesets about to be applied.
	 * @param pending the changesets, in the order they would run
	 * @param dialect the database they run on
	 * @throws UnsafeChangesetException if a changeset trips a rule it does not allow and
	 * such changesets fail the migration
	 */
	public void review(List<ChangeSet> pending, Dialect dialect) {
		List<Finding> found;
		try {
			found = List.copyOf(this.check.check(pending, dialect));
		}
		catch (RuntimeException ex) {
			if (this.failOnUnsafe) {
				throw new IllegalStateException("The changeset check of '" + this.name + "' could not run, and unsafe "
						+ "changesets must not be applied: " + ex.getMessage(), ex);
			}
			// a check that cannot run must not stop a migration it only warns about
			logger.warn("The changeset check of '" + this.name + "' could not run: " + ex, ex);
			return;
		}
		// a migration tried again after a lock timeout reviews the same changesets
		if (!found.equals(this.findings)) {
			log(found);
		}
		this.findings = found;
		List<Finding> unsafe = found.stream().filter((finding) -> !finding.allowed()).toList();
		if (this.failOnUnsafe && !unsafe.isEmpty()) {
			throw new UnsafeChangesetException(this.name, unsafe);
		}
	}

	/**
	 * Returns what the last review found, allowed findings included.
	 * @return the findings, none before a review
	 */
	public List<Finding> findings() {
		return this.findings;
	}

	private void log(List<Finding> found) {
		for (Finding finding : found) {
			if (finding.allowed()) {
				logger.info("Changeset check of '" + this.name + "': " + finding);
			}
			else if (!this.failOnUnsafe) {
				logger.warn("Changeset check of '" + this.name + "': " + finding);
			}
		}
	}

}
