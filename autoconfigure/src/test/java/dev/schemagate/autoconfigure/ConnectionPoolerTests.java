package dev.schemagate.autoconfigure;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.schemagate.database.SharedSessionException;
import dev.schemagate.gate.FencedDataSource;
import dev.schemagate.gate.GateSettings;
import dev.schemagate.gate.Instance;
import dev.schemagate.gate.Migration;
import dev.schemagate.gate.MigrationGate;
import dev.schemagate.gate.MigrationProgress;
import dev.schemagate.gate.ShutdownSignal;
import dev.schemagate.gate.WaitingSettings;
import dev.schemagate.status.GateListener;
import dev.schemagate.status.SchemaPosition;
import dev.schemagate.test.FailureAnalyses;
import dev.schemagate.test.TestPgBouncer;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.Test;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The gate behind a real PgBouncer in transaction mode, where every client's transactions
 * share one server session: the session-level fence would let a second instance migrate
 * beside the first, so the second must stop instead, saying how to bypass the pooler. With
 * the fence's sessions direct, waiting instances ask through the pooler.
 */
class ConnectionPoolerTests {

	private static final GateListener NO_LISTENER = new GateListener() {
	};

	private final TestPostgres postgres = TestPostgres.get();

	@Test
	void secondInstanceBehindATransactionPoolerStopsInsteadOfMigratingBesideTheLeader() throws Exception {
		assumeTrue(TestPgBouncer.available(), "needs PgBouncer (Debian package pgbouncer)");
		String url = this.postgres.createDatabase();
		AtomicInteger migrations = new AtomicInteger();
		CountDownLatch leading = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try (TestPgBouncer bouncer = TestPgBouncer.start(this.postgres, url);
				HikariDataSource leaderPool = this.postgres.pool(bouncer.url(), 2);
				HikariDataSource secondPool = this.postgres.pool(bouncer.url(), 2)) {
			Future<?> leader = executor.submit(() -> {
				new MigrationGate(leaderPool, settings(), new Instance("11111111-1111-1111-1111-111111111111", "a", 1,
						"1.0"), NO_LISTENER)
					.run((fenced, progress) -> {
						migrations.incrementAndGet();
						leading.countDown();
						release.await();
					});
				return null;
			});
			assertThat(leading.await(30, TimeUnit.SECONDS)).as("the first instance leads").isTrue();
			Throwable failure = catchThrowable(() -> new MigrationGate(secondPool, settings(),
					new Instance("22222222-2222-2222-2222-222222222222", "b", 2, "1.0"), NO_LISTENER)
				.run((fenced, progress) -> migrations.incrementAndGet()));
			release.countDown();
			leader.get(30, TimeUnit.SECONDS);
			assertThat(failure).isInstanceOf(SharedSessionException.class)
				.hasMessageContaining("shared with other clients");
			assertThat(migrations).as("migrations run").hasValue(1);
			FailureAnalysis analysis = FailureAnalyses.analyze(failure);
			assertThat(analysis.getDescription()).contains("pooler in transaction or statement mode");
			assertThat(analysis.getAction()).contains("spring.liquibase.url").contains("session mode");
		}
		finally {
			release.countDown();
			executor.shutdownNow();
		}
	}

	@Test
	void waitersAskThroughATransactionPoolerWhileTheirSessionsOfTheirOwnGoDirect() throws Exception {
		assumeTrue(TestPgBouncer.available(), "needs PgBouncer (Debian package pgbouncer)");
		String url = this.postgres.createDatabase();
		AtomicInteger migrations = new AtomicInteger();
		CountDownLatch leading = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		ExecutorService executor = Executors.newFixedThreadPool(5);
		// no listener: every waiter holds no session of its own while it waits
		WaitingSettings noListener = new WaitingSettings(0, 80, Duration.ofSeconds(30));
		List<HikariDataSource> pools = new ArrayList<>();
		try (TestPgBouncer bouncer = TestPgBouncer.start(this.postgres, url)) {
			Migration createsDone = new Migration() {

				@Override
				public Optional<SchemaPosition> upToDate(Connection session) throws SQLException {
					try (Statement statement = session.createStatement();
							ResultSet result = statement.executeQuery("SELECT to_regclass('done') IS NOT NULL")) {
						result.next();
						return result.getBoolean(1) ? Optional.of(new SchemaPosition("1-done", 0, 0, List.of()))
								: Optional.empty();
					}
				}

				@Override
				public void migrate(FencedDataSource fenced, MigrationProgress progress) throws Exception {
					migrations.incrementAndGet();
					leading.countDown();
					assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
					try (Statement statement = fenced.getConnection().createStatement()) {
						statement.execute("CREATE TABLE done (id int)");
					}
				}

			};
			Future<?> leader = executor.submit(() -> {
				instanceGate(url, bouncerPool(bouncer, pools), "leader", noListener).run(createsDone);
				return null;
			});
			assertThat(leading.await(30, TimeUnit.SECONDS)).as("the first instance leads").isTrue();
			List<Future<?>> waiting = new ArrayList<>();
			for (int i = 0; i < 4; i++) {
				MigrationGate gate = instanceGate(url, bouncerPool(bouncer, pools), "waiter-" + i, noListener);
				waiting.add(executor.submit(() -> {
					gate.run(createsDone);
					return null;
				}));
			}
			// each waiter has found the fence held on a session of its own, and let that go
			Thread.sleep(3000);
			assertThat(waiting).allSatisfy((waiter) -> assertThat(waiter).isNotDone());
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM pg_stat_activity "
					+ "WHERE datname = current_database() AND application_name LIKE 'schemagate waiter-%'"))
				.as("direct sessions held by waiting instances")
				.isZero();
			release.countDown();
			leader.get(30, TimeUnit.SECONDS);
			for (Future<?> waiter : waiting) {
				waiter.get(30, TimeUnit.SECONDS);
			}
			assertThat(migrations).as("migrations run").hasValue(1);
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
					+ "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
				.as("advisory locks left on the pooler's server sessions")
				.isZero();
		}
		finally {
			release.countDown();
			executor.shutdownNow();
			pools.forEach(HikariDataSource::close);
		}
	}

	// the fence's sessions direct, as with spring.liquibase.url; the asks through the pooler
	private MigrationGate instanceGate(String url, DataSource asking, String host, WaitingSettings waiting) {
		return new MigrationGate(new DriverManagerDataSource(url, this.postgres.username(), this.postgres.password()),
				asking, settings(), waiting, new Instance(UUID.randomUUID().toString(), host, 1, "1.0"), NO_LISTENER,
				ShutdownSignal.never());
	}

	private HikariDataSource bouncerPool(TestPgBouncer bouncer, List<HikariDataSource> pools) {
		HikariDataSource pool = this.postgres.pool(bouncer.url(), 1);
		pools.add(pool);
		return pool;
	}

	private static GateSettings settings() {
		return new GateSettings("INT_", "SCHEMAGATE_", "schemagate", "pooler", Duration.ofSeconds(10),
				Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofMillis(200));
	}

}
