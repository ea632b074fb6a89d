package dev.schemagate.sample;

import dev.schemagate.check.ChangelogCheck;
import dev.schemagate.check.Dialect;
import org.junit.jupiter.api.Test;

/**
 * The sample's changelog has no changeset of version 2 that breaks version 1 or locks a
 * busy table, and its MariaDB changelog none that a stopped leader leaves half applied: the
 * check an application runs in its own build, without a database.
 */
class ChangelogSafetyTests {

	@Test
	void versionTwoHasNoUnsafeChangesets() {
		ChangelogCheck.of("classpath:db/changelog/db.changelog-v2.xml")
			.after("007-sender")
			.withParameter("v2SlowSeconds", 0)
			.assertNoUnsafeChangesets();
	}

	@Test
	void theMariaDbChangelogLeavesNoChangesetHalfApplied() {
		// every DDL changeset holds one statement and no data change
		ChangelogCheck.of("classpath:db/changelog/mariadb/db.changelog-master.xml")
			.on(Dialect.MYSQL)
			.withParameter("slowSeconds", 0)
			.assertNoUnsafeChangesets();
	}

}
