package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import dev.schemagate.database.GateDatabase;
import dev.schemagate.postgresql.PostgresGateDatabase;
import dev.schemagate.status.GateStatus;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.integration.util.UUIDConverter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link LeaderWatch} and the lease's watchdog: a leader that stops renewing its
 * lease is replaced after the time-to-live, one that renews never is, on real PostgreSQL.
 */
class LeaderWatchTests {

	private static final Duration TIME_TO_LIVE = Duration.ofSeconds(1);

	private final TestPostgres postgres = TestPostgres.get();

	private final List<HikariDataSource> pools = new ArrayList<>();

	private String url;

	@BeforeEach
	void createDatabase() {
		this.url = this.postgres.createDatabase();
	}

	@AfterEach
	void closePools() {
		this.pools.forEach(HikariDataSource::close);
	}

	@Test
	void frozenLeaderIsEndedAfterTheTimeToLiveAndTakenOver() throws Exception {
		GateStatus status = new GateStatus("test");
		try (Connection frozen = holdFenceWithoutRenewing(this.postgres.connect(this.url))) {
			AtomicInteger migrations = new AtomicInteger();
			long started = System.nanoTime();
			gate(settings(Duration.ofSeconds(30)), this.pool(2), status).run((fenced, progress) -> migrations.incrementAndGet());
			Duration takeover = Duration.ofNanos(System.nanoTime() - started);
			assertThat(migrations).hasValue(1);
			assertThat(takeover).isGreaterThanOrEqualTo(TIME_TO_LIVE).isLessThan(TIME_TO_LIVE.plusSeconds(5));
			assertThat(frozen.isValid(2)).isFalse();
			assertThat(status.getTakeover()).hasValueSatisfying(
					(takeoverNote) -> assertThat(takeoverNote).contains("ended the session of 'frozen-leader'"));
			assertThat(query("SELECT count(*) FROM INT_LOCK")).isZero();
		}
	}

	@Test
	void leaderThatRenewsIsNeverEnded() throws Exception {
		GateSettings twoSeconds = new GateSettings("INT_", "SCHEMAGATE_", "schemagate", "test", Duration.ofSeconds(2),
				Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofMillis(100), Duration.ofSeconds(1));
		CompletableFuture<Void> leader = CompletableFuture.runAsync(() -> {
			try {
				gate(twoSeconds, this.pool(2), new GateStatus("leader"))
					.run((fenced, progress) -> {
						try (Statement statement = fenced.getConnection().createStatement()) {
							// two and a half times the time-to-live, renewing all along
							statement.execute("SELECT pg_sleep(5)");
							statement.execute("CREATE TABLE done_by_leader (id int)");
						}
					});
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		});
		awaitQuery("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(5)' AND state = 'active'");
		GateStatus waiter = new GateStatus("waiter");
		gate(twoSeconds, this.pool(2), waiter).run((fenced, progress) -> {
		});
		leader.get(10, TimeUnit.SECONDS);
		assertThat(query("SELECT count(*) FROM pg_tables WHERE tablename = 'done_by_leader'")).isOne();
		assertThat(waiter.getTakeover()).isEmpty();
	}

	@Test
	void frozenLeaderThatMayNotBeEndedIsWaitedForSayingWhy() throws Exception {
		String suffix = Long.toString(ProcessHandle.current().pid()) + System.nanoTime() % 100000;
		String frozenRole = "sg_frozen_" + suffix;
		String waiterRole = "sg_waiter_" + suffix;
		this.postgres.execute("CREATE ROLE " + frozenRole + " LOGIN PASSWORD 'frozen'",
				"CREATE ROLE " + waiterRole + " LOGIN PASSWORD 'waiter'");
		try {
			GateStatus status = new GateStatus("test");
			try (Connection frozen = holdFenceWithoutRenewing(
					java.sql.DriverManager.getConnection(this.url, frozenRole, "frozen"))) {
				execute("GRANT SELECT ON INT_LOCK TO " + waiterRole);
				HikariDataSource waiterPool = pool(2);
				waiterPool.setUsername(waiterRole);
				waiterPool.setPassword("waiter");
				assertThatExceptionOfType(LockWaitTimeoutException.class)
					.isThrownBy(() -> gate(settings(Duration.ofSeconds(4)), waiterPool, status).run((fenced, progress) -> {
					}));
				assertThat(frozen.isValid(2)).isTrue();
				assertThat(status.getTakeover()).hasValueSatisfying((reason) -> assertThat(reason)
					.contains("may not end its session")
					.contains("pg_signal_backend"));
			}
		}
		finally {
			this.postgres.execute("DROP DATABASE IF EXISTS " + this.url.substring(this.url.lastIndexOf('/') + 1)
					+ " WITH (FORCE)", "DROP ROLE " + frozenRole, "DROP ROLE " + waiterRole);
		}
	}

	@Test
	void leaderThatCannotRenewGivesUpItsSessionAndStartsOver() throws Exception {
		AtomicInteger passes = new AtomicInteger();
		List<Duration> cutOffAfter = new ArrayList<>();
		gate(settings(Duration.ofSeconds(30)), this.pool(2), new GateStatus("test")).run((fenced, progress) -> {
			if (passes.incrementAndGet() == 1) {
				// somebody removed the lease row: renewals fail from now on
				execute("DELETE FROM INT_LOCK");
				long started = System.nanoTime();
				try (Statement statement = fenced.getConnection().createStatement()) {
					statement.execute("SELECT pg_sleep(30)");
				}
				finally {
					cutOffAfter.add(Duration.ofNanos(System.nanoTime() - started));
				}
			}
		});
		assertThat(passes).hasValue(2);
		assertThat(cutOffAfter).singleElement()
			.satisfies((duration) -> assertThat(duration).isLessThan(TIME_TO_LIVE.plusSeconds(3)));
	}

	// a session that takes the fence and the lease row, then never renews: a frozen leader
	private Connection holdFenceWithoutRenewing(Connection connection) throws SQLException {
		execute(new PostgresGateDatabase().createTable(GateDatabase.GateTable.LOCK, "INT_LOCK"));
		try (Statement statement = connection.createStatement()) {
			statement.execute("SET application_name = 'frozen-leader'");
			statement.execute("SELECT pg_advisory_lock(" + Fence.lockId("schemagate/schemagate/test") + ")");
		}
		execute("INSERT INTO INT_LOCK (REGION, LOCK_KEY, CLIENT_ID, CREATED_DATE, EXPIRED_AFTER) VALUES ('schemagate', '"
				+ UUIDConverter.getUUID("test") + "', 'f0f0f0f0-0000-0000-0000-000000000000', now(), "
				+ "now() + interval '1 second')");
		return connection;
	}

	private static GateSettings settings(Duration waitTimeout) {
		return new GateSettings("INT_", "SCHEMAGATE_", "schemagate", "test", TIME_TO_LIVE, waitTimeout,
				Duration.ofSeconds(20), Duration.ofMillis(100), Duration.ofSeconds(1));
	}

	private MigrationGate gate(GateSettings settings, HikariDataSource pool, GateStatus status) {
		return new MigrationGate(pool, settings, Instance.current(null), status);
	}

	private HikariDataSource pool(int size) {
		HikariDataSource pool = this.postgres.pool(this.url, size);
		synchronized (this.pools) {
			this.pools.add(pool);
		}
		return pool;
	}

	private void awaitQuery(String sql) throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (query(sql) == 0) {
			assertThat(System.nanoTime()).as("%s within 30s", sql).isLessThan(deadline);
			Thread.sleep(50);
		}
	}

	private long query(String sql) throws SQLException {
		return this.postgres.queryLong(this.url, sql);
	}

	private void execute(String... statements) throws SQLException {
		this.postgres.executeIn(this.url, statements);
	}

}
