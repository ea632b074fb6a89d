package dev.schemagate.check;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import liquibase.Scope;
import liquibase.changelog.ChangeLogParameters;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.parser.ChangeLogParserFactory;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.resource.ResourceAccessor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * Tests for {@link ChangesetCheck} on Liquibase's change types: each rule with a changeset
 * that trips it and one that does not.
 */
class ChangesetCheckTests {

	@Test
	void eachUnsafeChangeTypeTripsItsRuleAndItsSafeFormDoesNot() throws Exception {
		List<Finding> findings = new ChangesetCheck().check(changeSets("db/check/change-types.xml"), Dialect.POSTGRESQL);
		assertThat(unallowed(findings)).containsExactly(Map.entry("drop-column", List.of("drop-column")),
				Map.entry("drop-table", List.of("drop-table")), Map.entry("rename-column", List.of("rename-column")),
				Map.entry("rename-table", List.of("rename-table")),
				Map.entry("change-column-type", List.of("change-column-type")),
				Map.entry("add-not-null-column", List.of("add-not-null-column-without-default")),
				Map.entry("create-index", List.of("create-index-without-concurrently")),
				Map.entry("add-foreign-key", List.of("add-foreign-key-without-not-valid")),
				Map.entry("set-not-null", List.of("set-not-null")),
				Map.entry("backfill-with-ddl", List.of("backfill-with-ddl")));
	}

	@Test
	void eachUnsafeStatementOfRawSqlTripsItsRuleAndItsSafeFormDoesNot() throws Exception {
		List<Finding> findings = new ChangesetCheck().check(changeSets("db/check/raw-sql.xml"), Dialect.POSTGRESQL);
		assertThat(unallowed(findings)).containsExactly(Map.entry("drop-column", List.of("drop-column")),
				Map.entry("drop-table", List.of("drop-table")), Map.entry("rename-column", List.of("rename-column")),
				Map.entry("rename-table", List.of("rename-table")),
				Map.entry("change-column-type", List.of("change-column-type")),
				Map.entry("add-not-null-column", List.of("add-not-null-column-without-default")),
				Map.entry("create-index", List.of("create-index-without-concurrently")),
				Map.entry("add-foreign-key", List.of("add-foreign-key-without-not-valid")),
				Map.entry("add-check-constraint", List.of("add-check-constraint-without-not-valid")),
				Map.entry("set-not-null", List.of("set-not-null")),
				Map.entry("backfill-with-ddl", List.of("backfill-with-ddl")),
				Map.entry("unreadable", List.of("unchecked-sql")),
				Map.entry("formatted-drop-table", List.of("drop-table")),
				Map.entry("sql-file", List.of("change-column-type")));
	}

	@Test
	void rawSqlFindingNamesTheStatementsObjects() throws Exception {
		List<Finding> findings = new ChangesetCheck().check(changeSets("db/check/raw-sql.xml"), Dialect.POSTGRESQL);
		assertThat(findings).filteredOn((finding) -> !finding.allowed())
			.extracting(Finding::change)
			.contains("drops column audit.note", "adds check constraint audit_score_positive on audit without NOT VALID",
					"changes the type of audit.note2 to varchar (20)",
					"runs 'DO $$ BEGIN PERFORM pg_sleep(0); END $$', which the check cannot read");
		assertThat(findings).filteredOn(Finding::allowed)
			.extracting(Finding::changesetId, (finding) -> finding.rule().id())
			.containsExactly(tuple("allowed", "drop-column"), tuple("formatted-allowed", "unchecked-sql"));
	}

	@Test
	void findingSaysWhatTheChangeDoesWhyItIsUnsafeAndWhatToDoInstead() throws Exception {
		Finding dropColumn = new ChangesetCheck().check(changeSets("db/check/change-types.xml"), Dialect.POSTGRESQL).get(0);
		assertThat(dropColumn).hasToString("drop-column (check) of db/check/change-types.xml drops column audit.note "
				+ "[drop-column]: the previous version still reads and writes the column while the new one rolls out; "
				+ "instead, stop using the column (with JPA, mark it @Transient) and drop it in a changeset labelled "
				+ "contract, which schemagate applies once no instance of the previous version runs");
	}

	@Test
	void changesetAllowsARuleWithItsReasonInACommentOrALabel() throws Exception {
		List<Finding> allowed = new ChangesetCheck().check(changeSets("db/check/change-types.xml"), Dialect.POSTGRESQL)
			.stream()
			.filter(Finding::allowed)
			.toList();
		assertThat(allowed).extracting(Finding::changesetId, (finding) -> finding.rule().id(), Finding::allowedBecause)
			.containsExactly(tuple("allowed", "drop-column", "version 1.4 stopped reading it"),
					tuple("allowed-by-label", "drop-table", "with schemagate:allow=drop-table and no reason given"));
		assertThat(allowed.get(0).toString()).endsWith("[drop-column]: allowed, version 1.4 stopped reading it");
	}

	@Test
	void onMySqlAChangesetThatMixesDdlWithDataOrRunsSeveralDdlStatementsIsReported() throws Exception {
		List<Finding> findings = new ChangesetCheck().check(changeSets("db/check/mysql.xml"), Dialect.MYSQL);
		// where DDL commits by itself, what a new table's changeset does counts too; PostgreSQL's
		// lock rules do not hold
		assertThat(unallowed(findings)).containsExactly(Map.entry("table-and-rows", List.of("ddl-with-data-change")),
				Map.entry("two-tables", List.of("multiple-ddl-statements")),
				Map.entry("sql-two-statements", List.of("multiple-ddl-statements")),
				Map.entry("sql-column-and-backfill", List.of("ddl-with-data-change")));
		assertThat(findings).filteredOn((finding) -> finding.changesetId().equals("two-tables"))
			.singleElement()
			.extracting(Finding::change)
			.isEqualTo("runs 2 DDL statements: createTable first_table, createTable second_table");
		assertThat(findings).filteredOn(Finding::allowed)
			.extracting(Finding::changesetId, (finding) -> finding.rule().id(), Finding::allowedBecause)
			.containsExactly(tuple("allowed", "multiple-ddl-statements",
					"each is guarded by a precondition of its own"));
	}

	@Test
	void onPostgresqlTheSameChangesetsTripOnlyItsLockRules() throws Exception {
		List<Finding> findings = new ChangesetCheck().check(changeSets("db/check/mysql.xml"), Dialect.POSTGRESQL);
		assertThat(unallowed(findings)).containsExactly(
				Map.entry("sql-column-and-backfill", List.of("backfill-with-ddl")),
				Map.entry("one-index", List.of("create-index-without-concurrently")));
	}

	@Test
	void everyRuleHasAnIdAReasonAndAnAlternative() {
		for (Rule rule : Rule.values()) {
			assertThat(rule.id()).matches("[a-z]+(-[a-z]+)*");
			assertThat(Rule.ofId(rule.id())).contains(rule);
			assertThat(rule.reason()).isNotBlank().doesNotEndWith(".");
			assertThat(rule.alternative()).isNotBlank().doesNotEndWith(".");
		}
	}

	@Test
	void theDocumentationListsEveryRuleWithItsReasonAndAlternative() throws Exception {
		String documentation = Files.readString(documentation());
		for (Rule rule : Rule.values()) {
			assertThat(documentation).as("docs/checks.md")
				.contains("| `" + rule.id() + "` | " + rule.reason() + " | " + rule.alternative() + " |");
		}
	}

	// the module's directory, or compat/boot-4.1 when that runs these tests
	private static Path documentation() {
		for (Path directory = Path.of("").toAbsolutePath(); directory != null; directory = directory.getParent()) {
			Path candidate = directory.resolve("docs/checks.md");
			if (Files.isRegularFile(candidate)) {
				return candidate;
			}
		}
		throw new IllegalStateException("docs/checks.md not found above " + Path.of("").toAbsolutePath());
	}

	// the rules each changeset trips and does not allow, by changeset
	private static Map<String, List<String>> unallowed(List<Finding> findings) {
		return findings.stream()
			.filter((finding) -> !finding.allowed())
			.collect(Collectors.groupingBy(Finding::changesetId, LinkedHashMap::new,
					Collectors.mapping((finding) -> finding.rule().id(), Collectors.toList())));
	}

	private static List<ChangeSet> changeSets(String file) throws Exception {
		ResourceAccessor accessor = new ClassLoaderResourceAccessor();
		return Scope.child(Map.of(Scope.Attr.resourceAccessor.name(), accessor), () -> {
			DatabaseChangeLog changeLog = ChangeLogParserFactory.getInstance()
				.getParser(file, accessor)
				.parse(file, new ChangeLogParameters(), accessor);
			return changeLog.getChangeSets();
		});
	}

}
