package dev.schemagate.check;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import liquibase.Scope;
import liquibase.change.core.TagDatabaseChange;
import liquibase.changelog.ChangeLogParameters;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.parser.ChangeLogParserFactory;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.resource.ResourceAccessor;
import org.jspecify.annotations.Nullable;

/**
 * Checks a changelog file for unsafe changesets, from an application's own tests, without
 * a database:
 *
 * <pre class="code">
 * &#64;Test
 * void nextReleaseHasNoUnsafeChangesets() {
 *     ChangelogCheck.of("db/changelog/db.changelog-master.yaml").afterTag("1.4").assertNoUnsafeChangesets();
 * }
 * </pre>
 *
 * The changesets up to the last release ({@link #after(String)}, {@link #afterTag(String)})
 * count as applied: the tables they create exist, and changing them is checked. Without
 * either, every changeset is checked as if the database were empty, so that only what is
 * done to tables created outside the changelog can be found.
 */
public final class ChangelogCheck {

	private final String changelog;

	private final @Nullable Predicate<ChangeSet> lastApplied;

	private final @Nullable String lastAppliedDescription;

	private final Map<String, Object> parameters;

	private final Dialect dialect;

	private ChangelogCheck(String changelog, @Nullable Predicate<ChangeSet> lastApplied,
			@Nullable String lastAppliedDescription, Map<String, Object> parameters, Dialect dialect) {
		this.changelog = changelog;
		this.lastApplied = lastApplied;
		this.lastAppliedDescription = lastAppliedDescription;
		this.parameters = parameters;
		this.dialect = dialect;
	}

	/**
	 * Creates the check of a changelog on the class path.
	 * @param changelog the changelog's location, such as
	 * {@code classpath:db/changelog/db.changelog-master.yaml}
	 * @return the check, for PostgreSQL
	 */
	public static ChangelogCheck of(String changelog) {
		return new ChangelogCheck(changelog.replaceFirst("^classpath\\*?:/?", ""), null, null, Map.of(),
				Dialect.POSTGRESQL);
	}

	/**
	 * Returns a check for changesets that run on another database.
	 * @param dialect the database, such as {@link Dialect#MYSQL} for MySQL and MariaDB
	 * @return the check
	 */
	public ChangelogCheck on(Dialect dialect) {
		return new ChangelogCheck(this.changelog, this.lastApplied, this.lastAppliedDescription, this.parameters,
				dialect);
	}

	/**
	 * Returns a check of the changesets after the one of the given id, those of the next
	 * release when it is the last of the previous one.
	 * @param changesetId the id of the last changeset already released
	 * @return the check
	 */
	public ChangelogCheck after(String changesetId) {
		return new ChangelogCheck(this.changelog, (changeSet) -> changeSet.getId().equals(changesetId),
				"changeset '" + changesetId + "'", this.parameters, this.dialect);
	}

	/**
	 * Returns a check of the changesets after the one that tags the database with the given
	 * tag ({@code tagDatabase}), those of the next release when it tags the previous one.
	 * @param tag the tag of the last release
	 * @return the check
	 */
	public ChangelogCheck afterTag(String tag) {
		return new ChangelogCheck(this.changelog, (changeSet) -> changeSet.getChanges()
			.stream()
			.anyMatch((change) -> change instanceof TagDatabaseChange tagging && tag.equals(tagging.getTag())),
				"changeset tagging the database '" + tag + "'", this.parameters, this.dialect);
	}

	/**
	 * Returns a check that reads the changelog with a parameter set, as
	 * {@code spring.liquibase.parameters.*} sets it for the application: SQL that still
	 * holds a <code>${name}</code> cannot be read.
	 * @param name the parameter's name
	 * @param value its value
	 * @return the check
	 */
	public ChangelogCheck withParameter(String name, Object value) {
		Map<String, Object> parameters = new LinkedHashMap<>(this.parameters);
		parameters.put(name, value);
		return new ChangelogCheck(this.changelog, this.lastApplied, this.lastAppliedDescription, parameters,
				this.dialect);
	}

	/**
	 * Checks the changesets.
	 * @return what the check found, allowed findings included
	 * @throws IllegalArgumentException if the changelog cannot be read, or the changeset or
	 * tag of the last release is not in it
	 */
	public List<Finding> findings() {
		ResourceAccessor resources = new ClassLoaderResourceAccessor(ChangelogCheck.class.getClassLoader());
		try {
			// in a scope of the class path's resources, where sqlFile changes find their files
			return Scope.child(Map.of(Scope.Attr.resourceAccessor.name(), resources), () -> {
				ChangeLogParameters parameters = new ChangeLogParameters();
				this.parameters.forEach(parameters::set);
				DatabaseChangeLog changeLog = ChangeLogParserFactory.getInstance()
					.getParser(this.changelog, resources)
					.parse(this.changelog, parameters, resources);
				return new ChangesetCheck().check(unreleased(changeLog.getChangeSets()), this.dialect);
			});
		}
		catch (IllegalArgumentException ex) {
			throw ex;
		}
		catch (Exception ex) {
			throw new IllegalArgumentException("Could not read changelog " + this.changelog + ": " + ex.getMessage(),
					ex);
		}
	}

	/**
	 * Asserts that no changeset trips a rule it does not allow.
	 * @throws AssertionError naming each unsafe change, why, and what to do instead
	 */
	public void assertNoUnsafeChangesets() {
		List<Finding> unsafe = findings().stream().filter((finding) -> !finding.allowed()).toList();
		if (!unsafe.isEmpty()) {
			throw new AssertionError(unsafe.size() + " unsafe change" + ((unsafe.size() != 1) ? "s" : "") + " in "
					+ this.changelog + ":" + unsafe.stream()
						.map((finding) -> System.lineSeparator() + "  - " + finding)
						.collect(Collectors.joining()));
		}
	}

	private List<ChangeSet> unreleased(List<ChangeSet> changeSets) {
		if (this.lastApplied == null) {
			return changeSets;
		}
		for (int i = changeSets.size() - 1; i >= 0; i--) {
			if (this.lastApplied.test(changeSets.get(i))) {
				return changeSets.subList(i + 1, changeSets.size());
			}
		}
		throw new IllegalArgumentException(this.changelog + " has no " + this.lastAppliedDescription);
	}

}
