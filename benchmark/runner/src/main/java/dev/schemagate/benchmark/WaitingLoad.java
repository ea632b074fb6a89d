package dev.schemagate.benchmark;

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

import javax.sql.DataSource;

import dev.schemagate.gate.FencedDataSource;
import dev.schemagate.gate.GateSettings;
import dev.schemagate.gate.Instance;
import dev.schemagate.gate.Migration;
import dev.schemagate.gate.MigrationGate;
import dev.schemagate.gate.MigrationProgress;
import dev.schemagate.status.GateListener;
import dev.schemagate.status.SchemaPosition;
import dev.schemagate.test.StatementCounter;

import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Many instances waiting for one leader, as threads running the gate's real waiting code,
 * each with a connection of its own: what they cost the database while they wait, and how
 * long they take to start once the leader is done.
 */
final class WaitingLoad {

	private static final GateSettings SETTINGS = new GateSettings("INT_", "SCHEMAGATE_", "schemagate", "benchmark",
			Duration.ofSeconds(10), Duration.ofMinutes(10), Duration.ofMinutes(1), Duration.ofMillis(500),
			Duration.ofSeconds(5));

	private final Postgres postgres;

	WaitingLoad(Postgres postgres) {
		this.postgres = postgres;
	}

	Result measure(int waiters, Duration window) throws Exception {
		String url = this.postgres.createDatabase();
		CountDownLatch leaderMigrating = new CountDownLatch(1);
		CountDownLatch releaseLeader = new CountDownLatch(1);
		ExecutorService executor = Executors.newFixedThreadPool(waiters + 1);
		// a connection per getConnection(), so each contender has its own; counted at the client
		StatementCounter contenders = new StatementCounter(dataSource(url));
		try {
			Future<?> leader = executor.submit(() -> {
				gate(url, "leader").run(new CreatesDone(() -> {
					leaderMigrating.countDown();
					releaseLeader.await();
				}));
				return null;
			});
			if (!leaderMigrating.await(1, TimeUnit.MINUTES)) {
				throw new IllegalStateException("The leader did not start migrating");
			}
			List<Future<?>> waiting = new ArrayList<>();
			for (int i = 0; i < waiters; i++) {
				String host = "contender-" + i;
				waiting.add(executor.submit(() -> {
					gate(contenders.dataSource(), host).run(new CreatesDone(() -> {
						throw new IllegalStateException(host + " migrated although the leader had done it all");
					}));
					return null;
				}));
			}
			// every contender has set up its session and polled: what follows is waiting only
			awaitPolling(url, waiters);
			Thread.sleep(2000);
			long connections = sessions(url);
			long before = transactions(url);
			long sentBefore = contenders.statements();
			long started = System.nanoTime();
			Thread.sleep(window.toMillis());
			long sent = contenders.statements() - sentBefore;
			long after = transactions(url);
			double seconds = (System.nanoTime() - started) / 1e9;
			long released = System.nanoTime();
			releaseLeader.countDown();
			leader.get(1, TimeUnit.MINUTES);
			for (Future<?> waiter : waiting) {
				waiter.get(1, TimeUnit.MINUTES);
			}
			double allStarted = (System.nanoTime() - released) / 1e9;
			// the two reads of the counter are transactions of their own
			return new Result(waiters, seconds, (after - before - 1) / seconds, sent / seconds,
					connections / (double) waiters, allStarted);
		}
		finally {
			releaseLeader.countDown();
			executor.shutdownNow();
		}
	}

	private MigrationGate gate(String url, String host) {
		return gate(dataSource(url), host);
	}

	private DataSource dataSource(String url) {
		return new DriverManagerDataSource(url, this.postgres.username(), this.postgres.password());
	}

	private MigrationGate gate(DataSource dataSource, String host) {
		Instance instance = new Instance(UUID.randomUUID().toString(), host, ProcessHandle.current().pid(), null);
		return new MigrationGate(dataSource, SETTINGS, instance, new GateListener() {
		});
	}

	private void awaitPolling(String url, int waiters) throws Exception {
		long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
		while (polling(url) < waiters) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("Only " + polling(url) + " of " + waiters + " contenders poll");
			}
			Thread.sleep(200);
		}
	}

	private long polling(String url) throws SQLException {
		return this.postgres.number(url, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
				+ "AND application_name LIKE 'schemagate contender-%' AND query LIKE '/* schemagate waiting poll */%'")
			.longValue();
	}

	private long sessions(String url) throws SQLException {
		return this.postgres.number(url, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
				+ "AND application_name LIKE 'schemagate contender-%'").longValue();
	}

	private long transactions(String url) throws SQLException {
		return this.postgres.number(url, "SELECT xact_commit + xact_rollback FROM pg_stat_database "
				+ "WHERE datname = current_database()").longValue();
	}

	/**
	 * What the waiting contenders cost.
	 *
	 * @param waiters how many waited
	 * @param seconds how long the database was watched
	 * @param queriesPerSecond transactions the database committed per second meanwhile, the
	 * leader's lease renewals included: each waiter's query is a transaction of its own
	 * @param statementsPerSecond statements the contenders sent per second, counted at the
	 * client
	 * @param connectionsPerWaiter the contenders' sessions, per contender
	 * @param allStartedSeconds from the leader's release until every contender was done
	 */
	record Result(int waiters, double seconds, double queriesPerSecond, double statementsPerSecond,
			double connectionsPerWaiter,
			double allStartedSeconds) {
	}

	/**
	 * The leader creates a table; the others find it and start.
	 */
	private static final class CreatesDone implements Migration {

		private final Step beforeCreating;

		CreatesDone(Step beforeCreating) {
			this.beforeCreating = beforeCreating;
		}

		@Override
		public Optional<SchemaPosition> upToDate(Connection session) throws SQLException {
			try (Statement statement = session.createStatement();
					ResultSet result = statement.executeQuery("SELECT to_regclass('bench_done') IS NOT NULL")) {
				result.next();
				return result.getBoolean(1) ? Optional.of(new SchemaPosition("bench_done", 0, 0, List.of()))
						: Optional.empty();
			}
		}

		@Override
		public void migrate(FencedDataSource fenced, MigrationProgress progress) throws Exception {
			this.beforeCreating.run();
			try (Statement statement = fenced.getConnection().createStatement()) {
				statement.execute("CREATE TABLE bench_done (id int)");
			}
		}

	}

	@FunctionalInterface
	private interface Step {

		void run() throws Exception;

	}

}
