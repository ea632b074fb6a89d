package dev.schemagate.check;

import java.util.List;

/**
 * Thrown when changesets about to be applied trip rules they do not allow, and such
 * changesets fail the migration: nothing of it was applied.
 */
public class UnsafeChangesetException extends RuntimeException {

	private final transient List<Finding> findings;

	public UnsafeChangesetException(String name, List<Finding> findings) {
		super(message(name, findings));
		this.findings = List.copyOf(findings);
	}

	/**
	 * Returns the findings that failed the migration.
	 * @return the findings
	 */
	public List<Finding> getFindings() {
		return this.findings;
	}

	private static String message(String name, List<Finding> findings) {
		StringBuilder message = new StringBuilder("The migration of '" + name + "' stopped before applying anything: "
				+ findings.size() + " unsafe change" + ((findings.size() != 1) ? "s" : "") + " in its pending changesets");
		findings.forEach((finding) -> message.append(System.lineSeparator()).append("  - ").append(finding));
		return message.toString();
	}

}
