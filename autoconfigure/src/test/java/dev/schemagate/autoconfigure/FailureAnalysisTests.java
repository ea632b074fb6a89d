package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.schemagate.gate.ConnectionRejectedException;
import dev.schemagate.gate.GateSettings;
import dev.schemagate.gate.Instance;
import dev.schemagate.gate.MigrationGate;
import dev.schemagate.status.ChangesetRun;
import dev.schemagate.status.GateListener;
import dev.schemagate.test.FailureAnalyses;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.diagnostics.FailureAnalysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Tests for the failure analysis of a failed start, as Spring Boot applies the analyzers of
 * {@code dev.schemagate.autoconfigure.diagnostics}, fed with the failures a real gate throws.
 */
class FailureAnalysisTests {

	private static final GateListener NO_LISTENER = new GateListener() {
	};

	private final TestPostgres postgres = TestPostgres.get();


	@Test
	void failedChangesetNamesTheChangesetAndTheDatabasesMessage() {
		Throwable failure = gateFailure(settings(Duration.ofSeconds(30), Duration.ofSeconds(5)), (fenced, progress) -> {
			ChangesetRun changeset = new ChangesetRun(2, 3, "002-orders", "carol", "db/orders.xml");
			progress.started(changeset);
			IllegalStateException cause = new IllegalStateException("wrapper",
					new java.sql.SQLException("ERROR: column \"total\" does not exist"));
			progress.failed(changeset, cause);
			throw cause;
		});
		FailureAnalysis analysis = FailureAnalyses.analyze(new BeanCreationException("liquibase", "failed", failure));
		assertThat(analysis.getDescription()).contains("changeset 2/3 002-orders (carol)")
			.contains("db/orders.xml")
			.contains("column \"total\" does not exist");
		assertThat(analysis.getAction()).contains("Fix the changeset");
	}

	@Test
	void unreachableDatabaseSaysWhatToCheck() {
		com.zaxxer.hikari.HikariDataSource nowhere = this.postgres.pool("jdbc:postgresql://localhost:1/none", 1);
		nowhere.setConnectionTimeout(250);
		Throwable failure = catchThrowable(() -> new MigrationGate(nowhere,
				settings(Duration.ofSeconds(30), Duration.ofMillis(600)), Instance.current(null), NO_LISTENER)
			.run((fenced, progress) -> {
			}));
		nowhere.close();
		FailureAnalysis analysis = FailureAnalyses.analyze(failure);
		assertThat(analysis.getDescription()).contains("stayed out of reach");
		assertThat(analysis.getAction()).contains("migration URL").contains("schemagate.retry.timeout");
	}

	@Test
	void wrongPasswordFailsWithoutRetryingAndSaysWhatToSet() {
		String url = this.postgres.createDatabase();
		Throwable failure;
		try (com.zaxxer.hikari.HikariDataSource wrong = this.postgres.pool(url, 1)) {
			wrong.setPassword("not-the-password");
			failure = catchThrowable(() -> new MigrationGate(wrong,
					settings(Duration.ofSeconds(30), Duration.ofSeconds(30)), Instance.current(null), NO_LISTENER)
				.run((fenced, progress) -> {
				}));
		}
		// rejected, not retried until the 30 s deadline and reported as out of reach
		assertThat(failure).isInstanceOf(ConnectionRejectedException.class);
		assertThat(((ConnectionRejectedException) failure).getSqlState()).isEqualTo("28P01");
		FailureAnalysis analysis = FailureAnalyses.analyze(new BeanCreationException("liquibase", "failed", failure));
		assertThat(analysis.getDescription()).contains("rejected the migration's connection")
			.contains("password authentication failed for user \"" + this.postgres.username() + "\"");
		assertThat(analysis.getAction()).contains("spring.liquibase.password")
			.contains("spring.datasource.password")
			.contains("CREATE ROLE");
	}

	@Test
	void missingDatabaseSaysToCreateIt() {
		String url = this.postgres.urlOf("sg_no_such_database");
		Throwable failure;
		try (com.zaxxer.hikari.HikariDataSource pool = this.postgres.pool(url, 1)) {
			failure = catchThrowable(() -> new MigrationGate(pool,
					settings(Duration.ofSeconds(30), Duration.ofSeconds(30)), Instance.current(null), NO_LISTENER)
				.run((fenced, progress) -> {
				}));
		}
		assertThat(failure).isInstanceOf(ConnectionRejectedException.class);
		FailureAnalysis analysis = FailureAnalyses.analyze(failure);
		assertThat(analysis.getDescription()).contains("database \"sg_no_such_database\" does not exist");
		assertThat(analysis.getAction()).contains("CREATE DATABASE").contains("spring.liquibase.url");
	}

	@Test
	void lockWaitTimeoutNamesTheHolderAndWhatToDo() throws Exception {
		String url = this.postgres.createDatabase();
		CountDownLatch leading = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try (com.zaxxer.hikari.HikariDataSource leaderPool = this.postgres.pool(url, 2);
				com.zaxxer.hikari.HikariDataSource waiterPool = this.postgres.pool(url, 2)) {
			GateSettings settings = settings(Duration.ofSeconds(1), Duration.ofSeconds(5));
			Future<?> leader = executor.submit(() -> {
				new MigrationGate(leaderPool, settings, new Instance("33333333-3333-3333-3333-333333333333",
						"oldhost", 99, "1.0"), NO_LISTENER)
					.run((fenced, progress) -> {
						progress.started(new ChangesetRun(4, 9, "004-backfill", "dave", "db/changelog.xml"));
						leading.countDown();
						release.await();
					});
				return null;
			});
			assertThat(leading.await(10, TimeUnit.SECONDS)).isTrue();
			Throwable failure = catchThrowable(() -> new MigrationGate(waiterPool, settings, Instance.current(null),
					NO_LISTENER)
				.run((fenced, progress) -> {
				}));
			release.countDown();
			leader.get(10, TimeUnit.SECONDS);
			FailureAnalysis analysis = FailureAnalyses.analyze(failure);
			assertThat(analysis.getDescription()).contains("schemagate oldhost pid 99")
				.contains("leading since")
				.contains("running changeset 4/9 004-backfill (dave)");
			assertThat(analysis.getAction()).contains("schemagate.lock.wait-timeout");
		}
		finally {
			executor.shutdownNow();
		}
	}

	@Test
	void missingTablesNameTheDdlToRun() throws Exception {
		String url = this.postgres.createDatabase();
		String database = url.substring(url.lastIndexOf('/') + 1);
		String role = "sg_analyzer_" + ProcessHandle.current().pid();
		this.postgres.execute("DROP ROLE IF EXISTS " + role, "CREATE ROLE " + role + " LOGIN PASSWORD 'secret'");
		this.postgres.executeIn(url, "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
				"GRANT CONNECT ON DATABASE " + database + " TO " + role);
		Throwable failure;
		try (com.zaxxer.hikari.HikariDataSource restricted = this.postgres.pool(url, 2)) {
			restricted.setUsername(role);
			restricted.setPassword("secret");
			failure = catchThrowable(() -> new MigrationGate(restricted,
					settings(Duration.ofSeconds(30), Duration.ofSeconds(5)), Instance.current(null), NO_LISTENER)
				.run((fenced, progress) -> {
				}));
		}
		this.postgres.execute("DROP DATABASE " + database + " WITH (FORCE)", "DROP ROLE " + role);
		FailureAnalysis analysis = FailureAnalyses.analyze(failure);
		assertThat(analysis.getDescription()).contains("INT_LOCK, SCHEMAGATE_LEADER, SCHEMAGATE_HISTORY")
			.contains("permission denied");
		assertThat(analysis.getAction()).contains("CREATE TABLE IF NOT EXISTS INT_LOCK")
			.contains("CREATE TABLE IF NOT EXISTS SCHEMAGATE_LEADER")
			.contains("CREATE TABLE IF NOT EXISTS SCHEMAGATE_HISTORY");
	}

	@Test
	void otherFailuresAreLeftToOtherAnalyzers() {
		assertThat(FailureAnalyses.analyze(new IllegalStateException("unrelated"))).isNull();
	}

	private Throwable gateFailure(GateSettings settings, dev.schemagate.gate.Migration migration) {
		String url = this.postgres.createDatabase();
		try (com.zaxxer.hikari.HikariDataSource pool = this.postgres.pool(url, 2)) {
			return catchThrowable(
					() -> new MigrationGate(pool, settings, Instance.current(null), NO_LISTENER).run(migration));
		}
	}

	private static GateSettings settings(Duration waitTimeout, Duration retryTimeout) {
		return new GateSettings("INT_", "SCHEMAGATE_", "schemagate", "analyzer", Duration.ofSeconds(10), waitTimeout,
				retryTimeout, Duration.ofMillis(100), Duration.ofMillis(200));
	}


}
