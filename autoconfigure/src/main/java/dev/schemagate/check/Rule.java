package dev.schemagate.check;

import java.util.Arrays;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * A kind of change that is unsafe while instances of the previous version still serve on
 * the schema (a rolling deploy) or while the application is busy, with why and what to do
 * instead.
 */
public enum Rule {

	/**
	 * Dropping a column the previous version may still read or write.
	 */
	DROP_COLUMN("drop-column", Impact.BREAKS_PREVIOUS_VERSION,
			"the previous version still reads and writes the column while the new one rolls out",
			"stop using the column (with JPA, mark it @Transient) and drop it in a changeset labelled contract, "
					+ "which schemagate applies once no instance of the previous version runs"),

	/**
	 * Dropping a table the previous version may still use.
	 */
	DROP_TABLE("drop-table", Impact.BREAKS_PREVIOUS_VERSION,
			"the previous version still queries the table while the new one rolls out",
			"stop using the table and drop it in a changeset labelled contract, which schemagate applies once no "
					+ "instance of the previous version runs"),

	/**
	 * Renaming a column the previous version knows by its old name.
	 */
	RENAME_COLUMN("rename-column", Impact.BREAKS_PREVIOUS_VERSION,
			"the previous version still uses the old name while the new one rolls out",
			"add the new column, write both and backfill, switch reads, then drop the old column in a later release"),

	/**
	 * Renaming a table the previous version knows by its old name.
	 */
	RENAME_TABLE("rename-table", Impact.BREAKS_PREVIOUS_VERSION,
			"the previous version still uses the old name while the new one rolls out",
			"create the new table (or a view under the old name), move the application over, then drop the old one "
					+ "in a later release"),

	/**
	 * Changing a column's type, which rewrites the table under an exclusive lock and may
	 * break the previous version's mapping.
	 */
	CHANGE_COLUMN_TYPE("change-column-type", Impact.BREAKS_PREVIOUS_VERSION, true,
			"the previous version may not read or write the new type, and most type changes rewrite the table "
					+ "under an ACCESS EXCLUSIVE lock",
			"add a column of the new type, write both and backfill, switch reads, then drop the old column"),

	/**
	 * Adding a NOT NULL column without a default, which the previous version's inserts do
	 * not fill.
	 */
	ADD_NOT_NULL_COLUMN_WITHOUT_DEFAULT("add-not-null-column-without-default", Impact.BREAKS_PREVIOUS_VERSION,
			"the previous version's inserts do not set the column and fail",
			"add the column with a default, or nullable, and make it NOT NULL once every instance sets it"),

	/**
	 * Creating an index on an existing table without CONCURRENTLY, which blocks its writes
	 * while the index builds.
	 */
	CREATE_INDEX_WITHOUT_CONCURRENTLY("create-index-without-concurrently", Impact.LOCKS_BUSY_TABLE, Dialect.POSTGRESQL,
			"blocks every write to the table until the index is built",
			"CREATE INDEX CONCURRENTLY in a changeset of its own with runInTransaction=\"false\""),

	/**
	 * Adding a foreign key without NOT VALID, which scans the table holding locks on both
	 * tables.
	 */
	ADD_FOREIGN_KEY_WITHOUT_NOT_VALID("add-foreign-key-without-not-valid", Impact.LOCKS_BUSY_TABLE, Dialect.POSTGRESQL,
			"checks every existing row while it blocks writes to both tables",
			"add the constraint NOT VALID (validate=\"false\"), then VALIDATE CONSTRAINT in a later changeset"),

	/**
	 * Adding a check constraint without NOT VALID, which scans the table under an exclusive
	 * lock.
	 */
	ADD_CHECK_CONSTRAINT_WITHOUT_NOT_VALID("add-check-constraint-without-not-valid", Impact.LOCKS_BUSY_TABLE,
			Dialect.POSTGRESQL,
			"checks every existing row under an ACCESS EXCLUSIVE lock",
			"add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later changeset"),

	/**
	 * Setting NOT NULL on an existing column, which scans the table under an exclusive lock.
	 */
	SET_NOT_NULL("set-not-null", Impact.LOCKS_BUSY_TABLE, Dialect.POSTGRESQL,
			"checks every existing row under an ACCESS EXCLUSIVE lock",
			"add CHECK (column IS NOT NULL) NOT VALID, validate it, then SET NOT NULL, which then needs no scan "
					+ "(PostgreSQL 12+)"),

	/**
	 * Changing data and the schema in one changeset, which holds the DDL's lock while the
	 * data changes.
	 */
	BACKFILL_WITH_DDL("backfill-with-ddl", Impact.LOCKS_BUSY_TABLE, Dialect.POSTGRESQL,
			"the schema change's lock is held until the data change commits",
			"put the data change in a changeset of its own, after the schema change"),

	/**
	 * Changing data and the schema in one changeset where each DDL statement commits by
	 * itself (MySQL, MariaDB).
	 */
	DDL_WITH_DATA_CHANGE("ddl-with-data-change", Impact.LEAVES_PART_APPLIED, Dialect.MYSQL,
			"each DDL statement commits by itself: a leader stopped inside the changeset leaves its DDL applied, "
					+ "its data change rolled back and no DATABASECHANGELOG row, and the next leader runs it again from "
					+ "its first statement",
			"put the data change in a changeset of its own, after the schema change"),

	/**
	 * More than one DDL statement in one changeset where each commits by itself (MySQL,
	 * MariaDB).
	 */
	MULTIPLE_DDL_STATEMENTS("multiple-ddl-statements", Impact.LEAVES_PART_APPLIED, Dialect.MYSQL,
			"each DDL statement commits by itself: a leader stopped between two leaves the first applied without "
					+ "the changeset's DATABASECHANGELOG row, and the next leader's run of it fails on what is already "
					+ "there",
			"give each DDL statement a changeset of its own, or guard each with a precondition "
					+ "(onFail=\"MARK_RAN\") that tells it already ran"),

	/**
	 * A raw SQL statement the check cannot read, whose locks and effect on the previous
	 * version are therefore unknown.
	 */
	UNCHECKED_SQL("unchecked-sql", Impact.UNKNOWN,
			"the check cannot read the statement, so what it locks and whether the previous version survives it "
					+ "are unknown",
			"write it as a Liquibase change type, or review it and allow it with schemagate:allow=unchecked-sql and "
					+ "the reason");

	private final String id;

	private final Impact impact;

	private final boolean locksBusyTableToo;

	private final String reason;

	private final String alternative;

	// null for every database
	private final @Nullable Dialect only;

	Rule(String id, Impact impact, String reason, String alternative) {
		this(id, impact, false, null, reason, alternative);
	}

	Rule(String id, Impact impact, Dialect only, String reason, String alternative) {
		this(id, impact, false, only, reason, alternative);
	}

	Rule(String id, Impact impact, boolean locksBusyTableToo, String reason, String alternative) {
		this(id, impact, locksBusyTableToo, null, reason, alternative);
	}

	Rule(String id, Impact impact, boolean locksBusyTableToo, @Nullable Dialect only, String reason,
			String alternative) {
		this.id = id;
		this.impact = impact;
		this.locksBusyTableToo = locksBusyTableToo;
		this.only = only;
		this.reason = reason;
		this.alternative = alternative;
	}

	/**
	 * Tells whether the rule holds on a database: a rule about PostgreSQL's locks does not
	 * hold where DDL commits by itself, and the other way round.
	 * @param dialect the database
	 * @return whether changesets for it are checked against the rule
	 */
	public boolean appliesTo(Dialect dialect) {
		return this.only == null || this.only == dialect;
	}

	/**
	 * Returns the rule's id, as {@code schemagate:allow=} names it.
	 * @return the id
	 */
	public String id() {
		return this.id;
	}

	/**
	 * Returns what the change endangers.
	 * @return the impact
	 */
	public Impact impact() {
		return this.impact;
	}

	/**
	 * Tells whether the change endangers nothing but the previous version, so that a
	 * contract changeset, applied once no instance of it runs, may make it. A type change
	 * does not qualify: it also rewrites the table under an exclusive lock, whoever runs.
	 * @return whether only the previous version is endangered
	 */
	public boolean onlyBreaksPreviousVersion() {
		return this.impact == Impact.BREAKS_PREVIOUS_VERSION && !this.locksBusyTableToo;
	}

	/**
	 * Returns why the change is unsafe, in one line.
	 * @return the reason
	 */
	public String reason() {
		return this.reason;
	}

	/**
	 * Returns the safe way to make the change.
	 * @return the alternative
	 */
	public String alternative() {
		return this.alternative;
	}

	/**
	 * Finds a rule by its id.
	 * @param id the id
	 * @return the rule, if there is one of that id
	 */
	public static Optional<Rule> ofId(String id) {
		return Arrays.stream(values()).filter((rule) -> rule.id.equals(id)).findFirst();
	}

	/**
	 * What an unsafe change endangers.
	 */
	public enum Impact {

		/**
		 * Instances of the previous version, still serving during a rolling deploy.
		 */
		BREAKS_PREVIOUS_VERSION,

		/**
		 * The application's queries on a table, blocked while the change holds its lock.
		 */
		LOCKS_BUSY_TABLE,

		/**
		 * The schema's consistency with the changelog: a changeset stopped half-way leaves part
		 * of it applied without its {@code DATABASECHANGELOG} row.
		 */
		LEAVES_PART_APPLIED,

		/**
		 * Not known: the check cannot read the change.
		 */
		UNKNOWN

	}

}
