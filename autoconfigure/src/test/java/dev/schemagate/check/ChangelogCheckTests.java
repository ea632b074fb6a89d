package dev.schemagate.check;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * Tests for {@link ChangelogCheck}, the check an application's own tests run on its
 * changelog.
 */
class ChangelogCheckTests {

	@Test
	void assertionNamesEachUnsafeChangeOfTheNextRelease() {
		assertThatExceptionOfType(AssertionError.class)
			.isThrownBy(() -> ChangelogCheck.of("classpath:db/test/unsafe-v2.xml").after("3-index")
				.assertNoUnsafeChangesets())
			.withMessage("1 unsafe change in db/test/unsafe-v2.xml:" + System.lineSeparator()
					+ "  - 6-drop-note (test) of db/test/unsafe-v2.xml drops column audit.note [drop-column]: the previous "
					+ "version still reads and writes the column while the new one rolls out; instead, stop using the "
					+ "column (with JPA, mark it @Transient) and drop it in a changeset labelled contract, which "
					+ "schemagate applies once no instance of the previous version runs");
	}

	@Test
	void assertionPassesWhenTheChangesetAllowsTheRule() {
		ChangelogCheck check = ChangelogCheck.of("db/test/unsafe-v2-allowed.xml").after("3-index");
		check.assertNoUnsafeChangesets();
		assertThat(check.findings()).singleElement().matches(Finding::allowed, "allowed");
	}

	@Test
	void aContractChangesetMayBreakThePreviousVersion() {
		ChangelogCheck check = ChangelogCheck.of("db/test/contract-v2.xml").after("3-index");
		check.assertNoUnsafeChangesets();
		assertThat(check.findings()).singleElement()
			.extracting(Finding::allowedBecause)
			.isEqualTo("a contract changeset, applied once no instance of the previous version runs");
	}

	@Test
	void aContractChangesetStillReportsATypeChangeForTheTableRewriteItCauses() {
		ChangelogCheck check = ChangelogCheck.of("db/check/contract-type-change.xml").after("1-orders");
		assertThat(check.findings())
			.extracting(Finding::changesetId, (finding) -> finding.rule().id(), Finding::allowed)
			.containsExactly(tuple("2-drop-legacy", "drop-column", true),
					tuple("3-widen-total", "change-column-type", false),
					tuple("4-narrow-total", "change-column-type", false));
		assertThat(check.findings().get(1).toString()).contains("rewrite the table under an ACCESS EXCLUSIVE lock");
	}

	@Test
	void changesetsAfterATagAreChecked() {
		assertThat(ChangelogCheck.of("db/test/tagged.xml").afterTag("1.0").findings())
			.extracting(Finding::changesetId, (finding) -> finding.rule().id())
			.containsExactly(tuple("1.1-rename", "rename-column"));
	}

	@Test
	void withoutAReleaseEveryTableTheChangelogCreatesIsNew() {
		assertThat(ChangelogCheck.of("db/test/tagged.xml").findings()).isEmpty();
	}

	@Test
	void sqlHoldingAParameterIsReadOnlyWithTheParameterSet() {
		ChangelogCheck check = ChangelogCheck.of("db/test/parameters.xml").after("1-audit");
		assertThat(check.findings()).extracting((finding) -> finding.rule().id()).containsExactly("unchecked-sql");
		assertThat(check.withParameter("table", "audit").findings()).extracting(Finding::change)
			.containsExactly("drops table audit");
	}

	@Test
	void aReleaseNotInTheChangelogIsAnError() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ChangelogCheck.of("db/test/tagged.xml").afterTag("0.9").findings())
			.withMessage("db/test/tagged.xml has no changeset tagging the database '0.9'");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ChangelogCheck.of("db/test/missing.xml").findings())
			.withMessageStartingWith("Could not read changelog db/test/missing.xml: ");
	}

}
