package dev.schemagate.sample;

import dev.schemagate.check.ChangelogCheck;
import org.junit.jupiter.api.Test;

/**
 * The sample's changelog has no changeset of version 2 that breaks version 1 or locks a
 * busy table: the check an application runs in its own build, without a database.
 */
class ChangelogSafetyTests {

	@Test
	void versionTwoHasNoUnsafeChangesets() {
		ChangelogCheck.of("classpath:db/changelog/db.changelog-v2.xml")
			.after("007-sender")
			.withParameter("v2SlowSeconds", 0)
			.assertNoUnsafeChangesets();
	}

}
