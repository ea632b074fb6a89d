package dev.schemagate.autoconfigure;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.TimeZone;

import dev.schemagate.database.ClusteredDatabaseException;
import dev.schemagate.gate.DatabaseUnavailableException;
import dev.schemagate.gate.ForeignLockTimeoutException;
import dev.schemagate.status.GateStatus;
import dev.schemagate.test.FailureAnalyses;
import dev.schemagate.test.TestMariaDb;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests of an application's start with the starter on a real MariaDB: the gate, Liquibase
 * on the fenced session, the fleet registry, and what commits with a changeset's row where
 * every DDL statement commits by itself.
 */
class MariaDbStartTests {

	private static final String CREATE_CHANGELOG_LOCK = "CREATE TABLE DATABASECHANGELOGLOCK (ID INT PRIMARY KEY, "
			+ "LOCKED BOOLEAN NOT NULL, LOCKGRANTED DATETIME, LOCKEDBY VARCHAR(255))";

	private final TestMariaDb mariadb = TestMariaDb.get();

	private String url;

	private TimeZone timeZone;

	private ApplicationContextRunner contextRunner;

	@BeforeEach
	void createDatabase() {
		// a JVM away from UTC shows a time read or written in its zone
		this.timeZone = TimeZone.getDefault();
		TimeZone.setDefault(TimeZone.getTimeZone("Asia/Kathmandu"));
		this.url = this.mariadb.createDatabase();
		this.contextRunner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LiquibaseAutoConfiguration.class, SchemagateAutoConfiguration.class))
			.withPropertyValues(this.mariadb.applicationProperties(this.url));
	}

	@AfterEach
	void restoreTimeZone() {
		TimeZone.setDefault(this.timeZone);
	}

	@Test
	void anApplicationMigratesOnceAndAnotherStartFindsItUpToDate() throws Exception {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			GateStatus status = context.getBean(SchemaGates.class).all().get(0).status();
			assertThat(status.getState()).isEqualTo(GateStatus.State.UP_TO_DATE);
			assertThat(status.getApplied()).hasSize(3);
			assertThat(query("SELECT COUNT(*) FROM audit WHERE note = 'seed'")).isOne();
			assertThat(query("SELECT COUNT(*) FROM SCHEMAGATE_INSTANCE")).isOne();
			// the registry's heartbeat and start are the server's UTC times, read as UTC
			assertThat(query("SELECT COUNT(*) FROM SCHEMAGATE_INSTANCE "
					+ "WHERE ABS(TIMESTAMPDIFF(SECOND, STARTED_AT, UTC_TIMESTAMP())) < 60")).isOne();
		});
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			GateStatus status = context.getBean(SchemaGates.class).all().get(0).status();
			assertThat(status.getState()).isEqualTo(GateStatus.State.UP_TO_DATE);
			assertThat(status.getApplied()).isEmpty();
			assertThat(status.getFenceAcquisitions()).isZero();
		});
		assertThat(query("SELECT COUNT(*) FROM audit")).isOne();
		assertThat(query("SELECT COUNT(*) FROM DATABASECHANGELOG")).isEqualTo(3);
		assertThat(query("SELECT COUNT(*) FROM DATABASECHANGELOGLOCK WHERE LOCKED")).isZero();
		assertThat(query("SELECT COUNT(*) FROM INT_LOCK")).isZero();
		assertThat(query("SELECT COUNT(*) FROM SCHEMAGATE_HISTORY WHERE OUTCOME = 'APPLIED'")).isEqualTo(3);
		assertThat(query("SELECT COUNT(*) FROM SCHEMAGATE_INSTANCE")).isZero();
	}

	@Test
	void aDataChangesetWhoseRowCannotBeWrittenIsNotCommitted() {
		this.contextRunner.withPropertyValues("spring.liquibase.change-log=classpath:db/test/mariadb/row-refused.xml")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("changelog row refused");
				// a failure of the statement, which MariaDB's driver gives a connection exception's class:
				// failed at once, not retried as a lost connection
				assertThat(causes(context.getStartupFailure()))
					.noneMatch(DatabaseUnavailableException.class::isInstance);
				// nothing of the changeset is left without its row
				assertThat(query("SELECT COUNT(*) FROM audit")).isZero();
				assertThat(query("SELECT COUNT(*) FROM DATABASECHANGELOG")).isOne();
				assertThat(query("SELECT COUNT(*) FROM DATABASECHANGELOGLOCK WHERE LOCKED")).isZero();
			});
	}

	@Test
	void aDdlChangesetWhoseRowCannotBeWrittenLeavesItsDdlCommittedWithoutItsRow() {
		this.contextRunner
			.withPropertyValues("spring.liquibase.change-log=classpath:db/test/mariadb/ddl-row-refused.xml")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("changelog row refused");
				// what docs/how-it-works.md says a leader killed inside a DDL changeset leaves
				assertThat(query("SELECT COUNT(*) FROM information_schema.TABLES "
						+ "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'committed_alone'")).isOne();
				assertThat(query("SELECT COUNT(*) FROM DATABASECHANGELOG WHERE ID = '3-table'")).isZero();
			});
	}

	@Test
	void aLiquibaseLockLeftByAKilledLeaderOfTheFleetIsClearedAtOnce() throws Exception {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed());
		// the stamp of a fence nobody holds: its leader's session has ended
		this.mariadb.executeIn(this.url, "UPDATE DATABASECHANGELOGLOCK SET LOCKED = TRUE, LOCKGRANTED = NOW(), "
				+ "LOCKEDBY = 'schemagate fence 0123456789abcdef vm (10.0.0.1)' WHERE ID = 1",
				"DELETE FROM DATABASECHANGELOG WHERE ID = '3-index'", "DROP INDEX audit_note_idx ON audit");
		long started = System.nanoTime();
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(SchemaGates.class).all().get(0).status().getApplied()).hasSize(1);
		});
		assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isLessThan(java.time.Duration.ofSeconds(30));
		assertThat(query("SELECT COUNT(*) FROM DATABASECHANGELOGLOCK WHERE LOCKED")).isZero();
		assertThat(query("SELECT COUNT(*) FROM DATABASECHANGELOG")).isEqualTo(3);
	}

	@Test
	void aLiquibaseLockLeftByAProcessGoneIsClearedOnceEverySessionLeftBeganAfterIt() throws Exception {
		// as Liquibase's CLI leaves it when killed: taken a minute ago on a session since closed
		this.mariadb.executeIn(this.url, CREATE_CHANGELOG_LOCK, "INSERT INTO DATABASECHANGELOGLOCK VALUES "
				+ "(1, TRUE, NOW() - INTERVAL 1 MINUTE, 'crashed (10.0.0.7)')");
		// the server does not tell when the application's own pooled sessions began: the
		// mark its instance took before opening them does
		this.contextRunner.withPropertyValues("schemagate.lock.wait-timeout=20s").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(SchemaGates.class).all().get(0).status().getApplied()).hasSize(3);
		});
		assertThat(query("SELECT COUNT(*) FROM audit WHERE note = 'seed'")).isOne();
		assertThat(query("SELECT COUNT(*) FROM DATABASECHANGELOGLOCK WHERE LOCKED")).isZero();
	}

	@Test
	void everySessionOfTheApplicationsPoolBeganAfterItsInstancesMark() throws Exception {
		// an in-memory database's driver on the class path, as in an application's tests: the
		// start tells a server's URL without asking the pool for a session
		assertThat(org.h2.Driver.class).isNotNull();
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			long mark = query("SELECT SESSIONS_AFTER_ID FROM SCHEMAGATE_INSTANCE");
			long firstPooled = query("SELECT MIN(ID) FROM information_schema.PROCESSLIST "
					+ "WHERE DB = DATABASE() AND ID <> CONNECTION_ID()");
			assertThat(firstPooled).isGreaterThan(mark);
		});
	}

	@Test
	void aUrlOnWhichTheDriverBalancesSessionsBetweenServersIsRefusedBeforeAnythingRuns() throws Exception {
		// both drivers' load-balancing mode, here over one server
		String balanced = this.url.replaceFirst("^jdbc:(mariadb|mysql)://", "jdbc:$1:loadbalance://");
		this.contextRunner.withPropertyValues("spring.datasource.url=" + balanced).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(ClusteredDatabaseException.class)
				.hasMessageContaining("loadbalance mode");
			FailureAnalysis analysis = FailureAnalyses.analyze(context.getStartupFailure());
			assertThat(analysis.getAction()).contains("spring.liquibase.url");
		});
		assertThat(query("SELECT COUNT(*) FROM information_schema.TABLES "
				+ "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('audit', 'DATABASECHANGELOG')")).isZero();
	}

	@Test
	void aLiquibaseLockWhoseTakerMayStillBeConnectedIsWaitedFor() throws Exception {
		try (Connection foreign = this.mariadb.connect(this.url); Statement statement = foreign.createStatement()) {
			statement.execute(CREATE_CHANGELOG_LOCK);
			statement.execute("INSERT INTO DATABASECHANGELOGLOCK VALUES (1, TRUE, NOW(), 'cli-host (10.0.0.9)')");
			long session = this.mariadb.queryLong(this.url, "SELECT MAX(ID) FROM information_schema.PROCESSLIST "
					+ "WHERE DB = DATABASE() AND ID <> CONNECTION_ID()");
			this.contextRunner.withPropertyValues("schemagate.lock.wait-timeout=3s").run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause()
					.isInstanceOf(ForeignLockTimeoutException.class)
					.hasMessageContaining("locked by 'cli-host (10.0.0.9)'")
					.hasMessageContaining("session " + session + " of user");
				assertThat(query("SELECT COUNT(*) FROM DATABASECHANGELOGLOCK WHERE LOCKED")).isOne();
				assertThat(query("SELECT COUNT(*) FROM information_schema.TABLES "
						+ "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'audit'")).isZero();
			});
		}
	}

	private static List<Throwable> causes(Throwable failure) {
		List<Throwable> causes = new ArrayList<>();
		for (Throwable cause = failure; cause != null && !causes.contains(cause); cause = cause.getCause()) {
			causes.add(cause);
		}
		return causes;
	}

	private long query(String sql) throws java.sql.SQLException {
		return this.mariadb.queryLong(this.url, sql);
	}

}
