package dev.schemagate.autoconfigure;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import dev.schemagate.gate.LockTimeoutException;
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
 * Tests for {@code schemagate.migration.lock-timeout}: a changeset that needs a lock an
 * application's open transaction holds is rolled back and tried again, instead of
 * queueing every later query on the table behind its wait.
 */
class LockTimeoutTests {

	private static final String REVIEWER_COLUMN = "SELECT count(*) FROM information_schema.columns "
			+ "WHERE table_name = 'audit' AND column_name = 'reviewer'";

	private final TestPostgres postgres = TestPostgres.get();

	private String url;

	private ApplicationContextRunner versionTwo;

	private long reportPid;

	@BeforeEach
	void migrateVersionOne() {
		this.url = this.postgres.createDatabase();
		ApplicationContextRunner runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LiquibaseAutoConfiguration.class, SchemagateAutoConfiguration.class))
			.withPropertyValues(this.postgres.applicationProperties(this.url));
		runner.run((context) -> assertThat(context).hasNotFailed());
		this.versionTwo = runner.withPropertyValues("spring.liquibase.change-log=classpath:db/test/lock-timeout.xml",
				"schemagate.retry.initial-interval=200ms", "schemagate.retry.max-interval=500ms");
	}

	@Test
	void changesetBlockedByAnOpenTransactionIsRetriedUntilItEndsWithoutStallingOtherQueries() throws Exception {
		AtomicBoolean probing = new AtomicBoolean(true);
		AtomicLong longestQueryMillis = new AtomicLong();
		try (Connection report = openTransactionReadingAudit()) {
			CompletableFuture<Void> probe = CompletableFuture.runAsync(() -> probe(probing, longestQueryMillis));
			CompletableFuture<Void> reportEnds = CompletableFuture.runAsync(() -> commitAfter(report, Duration.ofSeconds(4)));
			this.versionTwo.withPropertyValues("schemagate.migration.lock-timeout=1s",
					"schemagate.migration.lock-retries=30")
				.run((context) -> assertThat(context).hasNotFailed());
			reportEnds.get();
			probing.set(false);
			probe.get();
		}
		assertThat(this.postgres.queryLong(this.url, REVIEWER_COLUMN)).isOne();
		System.out.printf("[lock-timeout] a 4 s report transaction held up the changeset; the longest query on "
				+ "the table meanwhile took %d ms (lock timeout 1000 ms)%n", longestQueryMillis.get());
		// without the lock timeout the queries queue behind the changeset until the report ends
		assertThat(longestQueryMillis.get()).isLessThan(3000);
	}

	@Test
	void retriesExhaustedFailNamingTheBlockingSessionWithNothingApplied() throws Exception {
		try (Connection report = openTransactionReadingAudit()) {
			long reportPid = this.reportPid;
			this.versionTwo.withPropertyValues("schemagate.migration.lock-timeout=500ms",
					"schemagate.migration.lock-retries=2")
				.run((context) -> {
					assertThat(context).hasFailed();
					assertThat(context.getStartupFailure()).rootCause().isInstanceOf(java.sql.SQLException.class);
					LockTimeoutException timeout = findCause(context.getStartupFailure());
					assertThat(timeout.getMessage()).contains("4-reviewer-column (test)")
						.contains("waited longer than the lock timeout of 500ms for a lock, 3 times")
						.contains("blocked by pid " + reportPid + " 'quarterly-report'")
						.contains("idle in transaction")
						.contains("SELECT count(*) FROM audit");
					assertThat(FailureAnalyses.analyze(context.getStartupFailure()).getAction())
						.contains("schemagate.migration.lock-timeout");
				});
			report.rollback();
		}
		assertThat(this.postgres.queryLong(this.url, REVIEWER_COLUMN)).isZero();
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangelog")).isEqualTo(3);
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked")).isZero();
	}

	@Test
	void changesetOutsideATransactionWaitsForItsLocksWithoutTheTimeout() throws Exception {
		try (Connection report = openTransactionReadingAudit()) {
			CompletableFuture<Void> reportEnds = CompletableFuture.runAsync(() -> commitAfter(report, Duration.ofSeconds(2)));
			this.versionTwo
				.withPropertyValues("spring.liquibase.change-log=classpath:db/test/lock-timeout-concurrently.xml",
						"schemagate.migration.lock-timeout=300ms", "schemagate.migration.lock-retries=0")
				.run((context) -> assertThat(context).hasNotFailed());
			reportEnds.get();
		}
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = "
				+ "i.indexrelid WHERE c.relname = 'audit_note_lower_idx' AND i.indisvalid")).isOne();
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangelog")).isEqualTo(4);
	}

	private Connection openTransactionReadingAudit() throws Exception {
		Connection report = this.postgres.connect(this.url);
		try (Statement statement = report.createStatement()) {
			statement.execute("SET application_name = 'quarterly-report'");
		}
		this.reportPid = pid(report);
		report.setAutoCommit(false);
		try (Statement statement = report.createStatement();
				ResultSet result = statement.executeQuery("SELECT count(*) FROM audit")) {
			result.next();
		}
		return report;
	}

	private void probe(AtomicBoolean probing, AtomicLong longestQueryMillis) {
		try (Connection connection = this.postgres.connect(this.url); Statement statement = connection.createStatement()) {
			while (probing.get()) {
				long start = System.nanoTime();
				try (ResultSet result = statement.executeQuery("SELECT count(*) FROM audit")) {
					result.next();
				}
				longestQueryMillis.accumulateAndGet(Duration.ofNanos(System.nanoTime() - start).toMillis(), Math::max);
				Thread.sleep(50);
			}
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static void commitAfter(Connection connection, Duration delay) {
		try {
			Thread.sleep(delay.toMillis());
			connection.commit();
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static long pid(Connection connection) throws Exception {
		try (Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT pg_backend_pid()")) {
			result.next();
			return result.getLong(1);
		}
	}

	private static LockTimeoutException findCause(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof LockTimeoutException timeout) {
				return timeout;
			}
		}
		throw new AssertionError("No LockTimeoutException in " + failure);
	}

}
