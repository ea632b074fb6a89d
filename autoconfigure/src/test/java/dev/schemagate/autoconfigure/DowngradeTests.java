package dev.schemagate.autoconfigure;

import java.util.Map;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.autoconfigure.endpoint.SchemagateEndpoint;
import dev.schemagate.autoconfigure.endpoint.SchemagateEndpoint.DowngradeDescriptor;
import dev.schemagate.autoconfigure.health.SchemagateHealthIndicator;
import dev.schemagate.status.GateStatus;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import dev.schemagate.test.FailureAnalyses;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@code schemagate.downgrade.enabled}: version 2 of a changelog adds a column
 * and a table, and an instance of version 1, whose changelog lacks them, rolls them back
 * from the rollback recorded when they were applied.
 */
class DowngradeTests {

	private static final String AUTHOR_COLUMN = "SELECT count(*) FROM information_schema.columns "
			+ "WHERE table_name = 'audit' AND column_name = 'author'";

	private static final String REVIEW_TABLE = "SELECT count(*) FROM pg_tables WHERE tablename = 'review'";

	private final TestPostgres postgres = TestPostgres.get();

	private String url;

	private ApplicationContextRunner versionOne;

	private ApplicationContextRunner versionTwo;

	@BeforeEach
	void createDatabase() {
		this.url = this.postgres.createDatabase();
		ApplicationContextRunner runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LiquibaseAutoConfiguration.class, SchemagateAutoConfiguration.class))
			.withPropertyValues(this.postgres.applicationProperties(this.url))
			.withPropertyValues("schemagate.downgrade.enabled=true");
		this.versionOne = runner;
		this.versionTwo = runner.withPropertyValues("spring.liquibase.change-log=classpath:db/test/downgrade-v2.xml");
	}

	@Test
	void versionOneRollsBackTheColumnAndTableOfVersionTwoAndTheirRows() throws Exception {
		this.versionTwo.run((context) -> assertThat(context).hasNotFailed());
		assertThat(this.postgres.queryLong(this.url, AUTHOR_COLUMN)).isOne();
		assertThat(this.postgres.queryLong(this.url, REVIEW_TABLE)).isOne();
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM schemagate_rollback")).isEqualTo(5);
		this.versionOne.run((context) -> {
			assertThat(context).hasNotFailed();
			GateStatus status = context.getBean(SchemaGates.class).all().get(0).status();
			assertThat(status.getState()).isEqualTo(GateStatus.State.UP_TO_DATE);
			assertThat(status.getPosition()).hasValueSatisfying((position) -> assertThat(position.unknown()).isZero());
		});
		assertThat(this.postgres.queryLong(this.url, AUTHOR_COLUMN)).isZero();
		assertThat(this.postgres.queryLong(this.url, REVIEW_TABLE)).isZero();
		assertThat(this.postgres.queryString(this.url,
				"SELECT string_agg(id, ',' ORDER BY orderexecuted) FROM databasechangelog"))
			.isEqualTo("1-audit,2-seed,3-index");
		assertThat(this.postgres.queryString(this.url, "SELECT string_agg(id, ',' ORDER BY id) FROM schemagate_rollback"))
			.isEqualTo("1-audit,2-seed,3-index");
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
		// version 2 again applies its changesets anew
		this.versionTwo.run((context) -> assertThat(context).hasNotFailed());
		assertThat(this.postgres.queryLong(this.url, AUTHOR_COLUMN)).isOne();
		assertThat(this.postgres.queryLong(this.url, REVIEW_TABLE)).isOne();
	}

	@Test
	void versionOneStartedWhileVersionTwoRunsServesOnItsSchemaAndRollsItBackOnceVersionTwoIsGone() throws Exception {
		this.versionTwo.run((versionTwo) -> {
			assertThat(versionTwo).hasNotFailed();
			versionTwo.getBean(SchemaGates.class).all().get(0).fleet().renew();
			this.versionOne.run((versionOne) -> {
				assertThat(versionOne).hasNotFailed();
				SchemaGate gate = versionOne.getBean(SchemaGates.class).all().get(0);
				// a rollback deploy: version 2 still serves on what it added
				assertThat(gate.downgrade().pending()).extracting(ChangesetRef::id)
					.containsExactly("4-author-column", "5-review-table");
				assertThat(gate.downgrade().holders()).singleElement()
					.satisfies((holder) -> assertThat(holder.self()).isFalse());
				assertThat(this.postgres.queryLong(this.url, AUTHOR_COLUMN)).isOne();
				ContractSchedule schedule = versionOne.getBean(ContractSchedule.class);
				schedule.check();
				assertThat(this.postgres.queryLong(this.url, AUTHOR_COLUMN)).isOne();
				assertThat(this.postgres.queryLong(this.url, REVIEW_TABLE)).isOne();
				Map<String, Object> health = new SchemagateHealthIndicator(versionOne.getBean(SchemaGates.class))
					.health()
					.getDetails();
				assertThat(health.toString()).contains("downgradePending", "4-author-column", "heldBackBy");
				DowngradeDescriptor endpoint = new SchemagateEndpoint(versionOne.getBean(SchemaGates.class)).gates()
					.gates()
					.get("liquibase")
					.downgradePending();
				assertThat(endpoint.changesets()).extracting(ChangesetRef::id)
					.containsExactly("4-author-column", "5-review-table");
				assertThat(endpoint.heldBackBy()).hasSize(1);
				// the last version 2 instance stops: the next check rolls its changesets back
				versionTwo.close();
				schedule.check();
				assertThat(this.postgres.queryLong(this.url, AUTHOR_COLUMN)).isZero();
				assertThat(this.postgres.queryLong(this.url, REVIEW_TABLE)).isZero();
				assertThat(gate.downgrade().pending()).isEmpty();
				assertThat(gate.downgrade().lastError()).isNull();
				assertThat(gate.downgrade().rolledBack()).extracting(ChangesetRef::id)
					.containsExactly("4-author-column", "5-review-table");
				assertThat(this.postgres.queryString(this.url,
						"SELECT string_agg(id, ',' ORDER BY orderexecuted) FROM databasechangelog"))
					.isEqualTo("1-audit,2-seed,3-index");
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked"))
					.isZero();
			});
		});
	}

	@Test
	void versionOneThatIsNotInTheFleetRegistryRollsNothingBack() throws Exception {
		this.versionTwo.run((versionTwo) -> assertThat(versionTwo).hasNotFailed());
		// a registry this database user may only read: version 1 cannot tell who else runs
		this.postgres.executeIn(this.url, "ALTER TABLE schemagate_instance RENAME TO schemagate_instance_moved",
				"CREATE VIEW schemagate_instance AS SELECT DISTINCT * FROM schemagate_instance_moved");
		this.versionOne.run((versionOne) -> {
			assertThat(versionOne).hasNotFailed();
			SchemaGate gate = versionOne.getBean(SchemaGates.class).all().get(0);
			assertThat(gate.downgrade().pending()).hasSize(2);
			assertThat(gate.downgrade().lastError()).contains("not in the fleet registry");
			versionOne.getBean(ContractSchedule.class).check();
		});
		assertThat(this.postgres.queryLong(this.url, AUTHOR_COLUMN)).isOne();
		assertThat(this.postgres.queryLong(this.url, REVIEW_TABLE)).isOne();
	}

	@Test
	void changesetWithoutRollbackStopsTheDowngradeWithNothingChanged() throws Exception {
		this.versionOne.withPropertyValues("spring.liquibase.change-log=classpath:db/test/downgrade-v2-no-rollback.xml")
			.run((context) -> assertThat(context).hasNotFailed());
		this.versionOne.run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("holds 2 changesets this changelog does not know")
				.hasMessageContaining("5-backfill (test) of db/test/downgrade-v2-no-rollback.xml: no rollback")
				.hasMessageContaining("Nothing was rolled back");
			assertThat(FailureAnalyses.analyze(context.getStartupFailure()).getAction())
				.contains("<rollback>", "schemagate.downgrade.enabled=false");
		});
		assertThat(this.postgres.queryLong(this.url, AUTHOR_COLUMN)).isOne();
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE author = 'seeder'")).isOne();
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangelog")).isEqualTo(5);
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked")).isZero();
	}

	@Test
	void changesetsAppliedWithoutRecordingTheirRollbackCannotBeRolledBack() throws Exception {
		this.versionTwo.withPropertyValues("schemagate.downgrade.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed());
		this.versionOne.run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("4-author-column (test) of db/test/downgrade-v2.xml: no rollback was recorded "
						+ "for it, as it was applied while downgrades were not enabled");
		});
		assertThat(this.postgres.queryLong(this.url, AUTHOR_COLUMN)).isOne();
		assertThat(this.postgres.queryLong(this.url, REVIEW_TABLE)).isOne();
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangelog")).isEqualTo(5);
	}

	@Test
	void rollbackThatFailsPartWayUndoesNothing() throws Exception {
		this.versionTwo.run((context) -> assertThat(context).hasNotFailed());
		// the review table's rollback runs first and would succeed; the column's then fails
		this.postgres.executeIn(this.url, "ALTER TABLE audit DROP COLUMN author");
		this.versionOne.run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("\"author\"");
			assertThat(context.getStartupFailure()).hasMessageContaining("nothing was rolled back");
		});
		assertThat(this.postgres.queryLong(this.url, REVIEW_TABLE)).isOne();
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangelog")).isEqualTo(5);
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM schemagate_rollback")).isEqualTo(5);
	}

	@Test
	void rollbackIsRecordedOnlyWithTheChangesetItUndoes() throws Exception {
		this.versionOne.withPropertyValues("spring.liquibase.change-log=classpath:db/test/row-refused.xml")
			.run((context) -> assertThat(context).hasFailed());
		assertThat(this.postgres.queryString(this.url, "SELECT string_agg(id, ',') FROM schemagate_rollback"))
			.isEqualTo("1-audit");
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit")).isZero();
	}

}
