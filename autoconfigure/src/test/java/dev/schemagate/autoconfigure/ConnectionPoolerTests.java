package dev.schemagate.autoconfigure;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import dev.schemagate.database.SharedSessionException;
import dev.schemagate.gate.GateSettings;
import dev.schemagate.gate.Instance;
import dev.schemagate.gate.MigrationGate;
import dev.schemagate.status.GateListener;
import dev.schemagate.test.FailureAnalyses;
import dev.schemagate.test.TestPgBouncer;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.Test;

import org.springframework.boot.diagnostics.FailureAnalysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The gate behind a real PgBouncer in transaction mode, where every client's transactions
 * share one server session: the session-level fence would let a second instance migrate
 * beside the first, so the second must stop instead, saying how to bypass the pooler.
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

	private static GateSettings settings() {
		return new GateSettings("INT_", "SCHEMAGATE_", "schemagate", "pooler", Duration.ofSeconds(10),
				Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofMillis(200));
	}

}
