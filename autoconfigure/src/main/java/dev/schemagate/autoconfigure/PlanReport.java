package dev.schemagate.autoconfigure;

import dev.schemagate.liquibase.LiquibasePlan.Plan;

/**
 * The text that 'plan' mode ({@code schemagate.mode=plan}) prints for one Liquibase bean:
 * the changesets it would apply, what the changeset check found in them, then the SQL, for
 * a reviewer to read before a rollout.
 */
final class PlanReport {

	private PlanReport() {
	}

	static String of(String beanName, String changeLog, Plan plan) {
		StringBuilder report = new StringBuilder();
		report.append("schemagate plan for '").append(beanName).append("' (").append(changeLog).append("): ");
		if (plan.pending().isEmpty() && !plan.dropsFirst()) {
			return report.append("nothing to apply, the database holds every changeset of the changelog")
				.append(System.lineSeparator())
				.toString();
		}
		int count = plan.pending().size();
		report.append(count).append(" changeset").append((count != 1) ? "s" : "").append(" to apply")
			.append(System.lineSeparator());
		if (plan.contracts() > 0) {
			report.append("  of which ").append(plan.contracts()).append(" labelled contract: applied once no live ")
				.append("instance's changelog lacks ").append((plan.contracts() != 1) ? "them" : "it")
				.append(", not at start").append(System.lineSeparator());
		}
		if (plan.dropsFirst()) {
			report.append("  first, drop-first drops every object of the schema (not shown below)")
				.append(System.lineSeparator());
		}
		plan.pending().forEach((changeset) -> report.append("  ").append(changeset).append(System.lineSeparator()));
		if (!plan.findings().isEmpty()) {
			long unsafe = plan.findings().stream().filter((finding) -> !finding.allowed()).count();
			report.append(System.lineSeparator()).append("Changeset check: ").append(unsafe).append(" unsafe change")
				.append((unsafe != 1) ? "s" : "").append(", ").append(plan.findings().size() - unsafe).append(" allowed")
				.append(System.lineSeparator());
			plan.findings().forEach((finding) -> report.append("  ").append(finding.allowed() ? "allowed: " : "UNSAFE: ")
				.append(finding).append(System.lineSeparator()));
		}
		report.append(System.lineSeparator()).append(plan.sql().strip()).append(System.lineSeparator());
		return report.toString();
	}

}
