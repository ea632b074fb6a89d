package dev.schemagate.autoconfigure;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.fleet.FleetRegistry.Member;
import dev.schemagate.status.GateStatus;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import dev.schemagate.test.TestMariaDb;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What runs above the gate, on a real MariaDB: contract changesets held back through the
 * fleet registry's lock, a downgrade from the recorded rollbacks, the plan, the wait mode
 * of a user who may only read and write data, and a schema ahead of the application.
 */
@ExtendWith(OutputCaptureExtension.class)
class MariaDbModesTests {

	private static final String CHANGELOG = "classpath:db/test/mariadb/";

	private final TestMariaDb mariadb = TestMariaDb.get();

	private final ExecutorService executor = Executors.newSingleThreadExecutor();

	private String url;

	private ApplicationContextRunner runner;

	@BeforeEach
	void createDatabase() {
		this.url = this.mariadb.createDatabase();
		this.runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					JdbcTemplateAutoConfiguration.class, LiquibaseAutoConfiguration.class,
					ApplicationAvailabilityAutoConfiguration.class, SchemagateAutoConfiguration.class))
			.withPropertyValues(this.mariadb.applicationProperties(this.url))
			.withPropertyValues("schemagate.contract.check-interval=0", "schemagate.readiness.check-interval=0");
	}

	@AfterEach
	void stopExecutor() throws InterruptedException {
		this.executor.shutdownNow();
		this.executor.awaitTermination(30, TimeUnit.SECONDS);
	}

	@Test
	void aContractChangesetWaitsForTheLastInstanceOfTheVersionBeforeAndRunsOnceItStops() throws Exception {
		ApplicationContextRunner versionTwo = this.runner.withPropertyValues("spring.application.version=2",
				"spring.liquibase.change-log=" + CHANGELOG + "contract-v2.xml");
		this.runner.withPropertyValues("spring.application.version=1").run((v1) -> {
			assertThat(v1).hasNotFailed();
			versionTwo.run((v2) -> {
				assertThat(v2).hasNotFailed();
				// the expand changeset ran at start, the contract did not
				assertThat(auditColumns()).isEqualTo("note,remark");
				ContractPhase contracts = gate(v2).contracts();
				assertThat(contracts.applyIfAllowed()).isFalse();
				assertThat(contracts.pending()).extracting(ChangesetRef::id).containsExactly("6-drop-note");
				assertThat(contracts.holders()).extracting(Member::appVersion).containsExactly("1");
				v1.close();
				assertThat(contracts.applyIfAllowed()).isTrue();
				assertThat(auditColumns()).isEqualTo("remark");
				assertThat(contracts.pending()).isEmpty();
			});
		});
		assertThat(query("SELECT COUNT(*) FROM DATABASECHANGELOG WHERE ID = '6-drop-note'")).isOne();
	}

	@Test
	void versionOneRollsBackTheColumnAndTableOfVersionTwoFromTheRecordedRollbacks() throws Exception {
		ApplicationContextRunner downgrades = this.runner.withPropertyValues("schemagate.downgrade.enabled=true");
		downgrades.withPropertyValues("spring.liquibase.change-log=" + CHANGELOG + "downgrade-v2.xml")
			.run((context) -> assertThat(context).hasNotFailed());
		assertThat(auditColumns()).isEqualTo("author,note");
		assertThat(tables("review")).isOne();
		assertThat(query("SELECT COUNT(*) FROM SCHEMAGATE_ROLLBACK")).isEqualTo(5);
		downgrades.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(gate(context).status().getState()).isEqualTo(GateStatus.State.UP_TO_DATE);
		});
		assertThat(auditColumns()).isEqualTo("note");
		assertThat(tables("review")).isZero();
		assertThat(this.mariadb.queryString(this.url,
				"SELECT GROUP_CONCAT(ID ORDER BY ORDEREXECUTED) FROM DATABASECHANGELOG"))
			.isEqualTo("1-audit,2-seed,3-index");
		assertThat(query("SELECT COUNT(*) FROM audit WHERE note = 'seed'")).isOne();
	}

	@Test
	void aPlanPrintsTheChangesetsToApplyAndChangesNothing(CapturedOutput output) throws Exception {
		this.runner.withPropertyValues("schemagate.mode=plan").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(StartStrategy.class)).isInstanceOf(PlanStrategy.class);
			assertThat(output).contains("3 changesets to apply")
				.contains("  1-audit (test)\n  2-seed (test)\n  3-index (test)")
				.contains("INSERT INTO audit (note) VALUES ('seed')");
		});
		assertThat(query("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")).isZero();
	}

	@Test
	void anInstanceThatMayOnlyReadAndWriteDataWaitsForAnotherToMigrateThenStarts() throws Exception {
		String database = this.url.substring(this.url.lastIndexOf('/') + 1);
		String user = "sg_app_" + ProcessHandle.current().pid() + System.nanoTime() % 100000;
		this.mariadb.executeIn(this.url, "CREATE USER '" + user + "'@'%' IDENTIFIED BY 'app'",
				"GRANT SELECT, INSERT, UPDATE, DELETE ON " + database + ".* TO '" + user + "'@'%'");
		try {
			Future<GateStatus.State> waiting = this.executor.submit(() -> {
				GateStatus.State[] state = new GateStatus.State[1];
				this.runner.withPropertyValues("schemagate.mode=wait", "spring.datasource.username=" + user,
						"spring.datasource.password=app")
					.run((context) -> {
						assertThat(context).hasNotFailed();
						state[0] = gate(context).status().getState();
					});
				return state[0];
			});
			Thread.sleep(3000);
			assertThat(waiting).as("waits while nothing is migrated").isNotDone();
			assertThat(query("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"))
				.as("tables it created")
				.isZero();
			this.runner.run((context) -> assertThat(context).hasNotFailed());
			assertThat(waiting.get(30, TimeUnit.SECONDS)).isEqualTo(GateStatus.State.UP_TO_DATE);
			assertThat(query("SELECT COUNT(*) FROM audit WHERE note = 'seed'")).isOne();
		}
		finally {
			this.mariadb.executeIn(this.url, "DROP USER '" + user + "'@'%'");
		}
	}

	@Test
	void theVersionBeforeServesOnASchemaAheadOfItAndSaysSo() throws Exception {
		this.runner.withPropertyValues("spring.liquibase.change-log=" + CHANGELOG + "downgrade-v2.xml")
			.run((context) -> assertThat(context).hasNotFailed());
		this.runner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(gate(context).status().getState()).isEqualTo(GateStatus.State.SCHEMA_AHEAD);
		});
		this.runner.withPropertyValues("schemagate.schema-ahead=fail").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(SchemaAheadException.class)
				.hasMessageContaining("holds 2 changesets its changelog does not know, last 5-review-table (test)");
		});
	}

	private static SchemaGate gate(AssertableApplicationContext context) {
		return context.getBean(SchemaGates.class).all().get(0);
	}

	private String auditColumns() throws Exception {
		return this.mariadb.queryString(this.url, "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY COLUMN_NAME) "
				+ "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'audit' "
				+ "AND COLUMN_NAME <> 'id'");
	}

	private long tables(String name) throws Exception {
		return query("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
				+ "AND TABLE_NAME = '" + name + "'");
	}

	private long query(String sql) throws Exception {
		return this.mariadb.queryLong(this.url, sql);
	}

}
