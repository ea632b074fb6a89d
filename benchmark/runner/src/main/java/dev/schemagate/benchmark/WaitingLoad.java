package dev.schemagate.benchmark;

import java.sql.Connection;
import java.sql.PreparedStatement;
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

import com.zaxxer.hikari.HikariDataSource;
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
import dev.schemagate.test.StatementCounter;
import dev.schemagate.test.TestPgBouncer;

import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Many instances waiting for one leader, as threads running the gate's real waiting code:
 * what they cost the database while they wait, and how long they take to start once the
 * leader is done. Each waiter opens the sessions of its own directly, as with
 * {@code spring.liquibase.url}; its asks go through a pool, either one of 20 connections
 * straight to the server or one in front of PgBouncer in transaction mode with a server pool
 * of 20. The fleet registry holds a live row for each, as instances that joined it.
 */
final class WaitingLoad {

	private static final GateSettings SETTINGS = new GateSettings("INT_", "SCHEMAGATE_", "schemagate", "benchmark",
			Duration.ofSeconds(10), Duration.ofMinutes(10), Duration.ofMinutes(1), Duration.ofMillis(500),
			Duration.ofSeconds(5));

	/** The pool the asks go through, and the pooler's server sessions. */
	static final int POOL = 20;

	private final Postgres postgres;

	WaitingLoad(Postgres postgres) {
		this.postgres = postgres;
	}

	/**
	 * Where the waiters' asks go.
	 */
	enum Route {

		/** A pool of {@value WaitingLoad#POOL} connections to the server. */
		POOL,

		/** PgBouncer in transaction mode, {@value WaitingLoad#POOL} server sessions. */
		PGBOUNCER;

		String describe() {
			return (this == POOL) ? "pool of " + WaitingLoad.POOL
					: "PgBouncer, transaction mode, " + WaitingLoad.POOL + " server sessions";
		}

	}

	Result measure(int waiters, Route route) throws Exception {
		String url = this.postgres.createDatabase();
		WaitingSettings waiting = WaitingSettings.DEFAULTS;
		registerFleet(url, waiters + 1);
		CountDownLatch leaderMigrating = new CountDownLatch(1);
		CountDownLatch releaseLeader = new CountDownLatch(1);
		ExecutorService executor = Executors.newFixedThreadPool(waiters + 1);
		TestPgBouncer bouncer = (route == Route.PGBOUNCER)
				? TestPgBouncer.start(url, this.postgres.username(), this.postgres.password(), POOL, waiters + 100)
				: null;
		HikariDataSource pool = pool((bouncer != null) ? bouncer.url() : url);
		StatementCounter asks = new StatementCounter(pool);
		// a session per getConnection(), so each waiter's own sessions are its own
		StatementCounter own = new StatementCounter(direct(url));
		try {
			Future<?> leader = executor.submit(() -> {
				gate(direct(url), direct(url), waiting, "leader").run(new CreatesDone(() -> {
					leaderMigrating.countDown();
					releaseLeader.await();
				}));
				return null;
			});
			if (!leaderMigrating.await(1, TimeUnit.MINUTES)) {
				throw new IllegalStateException("The leader did not start migrating");
			}
			List<Future<?>> waitingRuns = new ArrayList<>();
			for (int i = 0; i < waiters; i++) {
				String host = "contender-" + i;
				waitingRuns.add(executor.submit(() -> {
					gate(own.dataSource(), asks.dataSource(), waiting, host).run(new CreatesDone(() -> {
						throw new IllegalStateException(host + " migrated although the leader had done it all");
					}));
					return null;
				}));
				// as a fleet comes up over a few seconds, not all in one millisecond
				if (i % 100 == 99) {
					Thread.sleep(100);
				}
			}
			// every waiter has looked once: the listeners on sessions of their own, the others
			// through the pool, their first asks spread over one interval
			int askers = Math.max(0, waiters - waiting.listeners());
			awaitAsks(asks, askers);
			Thread.sleep(1000);
			// a window that holds a whole round of asks of every waiter
			Duration window = Duration.ofMillis(Math.max(10_000,
					(long) (1.25 * (waiters + 1) * 1000 / waiting.asksPerSecond())));
			long connections = serverSessions(url);
			long before = transactions(url);
			long sentBefore = asks.statements() + own.statements();
			long started = System.nanoTime();
			long mostConnections = connections;
			while (System.nanoTime() - started < window.toNanos()) {
				Thread.sleep(1000);
				mostConnections = Math.max(mostConnections, serverSessions(url));
			}
			long sent = asks.statements() + own.statements() - sentBefore;
			long after = transactions(url);
			double seconds = (System.nanoTime() - started) / 1e9;
			long released = System.nanoTime();
			releaseLeader.countDown();
			leader.get(1, TimeUnit.MINUTES);
			for (Future<?> waiter : waitingRuns) {
				waiter.get(5, TimeUnit.MINUTES);
			}
			double allStarted = (System.nanoTime() - released) / 1e9;
			// the reads of the counters are transactions of their own
			long reads = 2 + Math.round(seconds);
			return new Result(waiters, route, seconds, (after - before - reads) / seconds, sent / seconds,
					mostConnections, allStarted);
		}
		finally {
			releaseLeader.countDown();
			executor.shutdownNow();
			executor.awaitTermination(1, TimeUnit.MINUTES);
			pool.close();
			if (bouncer != null) {
				bouncer.close();
			}
		}
	}

	private MigrationGate gate(DataSource own, DataSource asking, WaitingSettings waiting, String host) {
		Instance instance = new Instance(UUID.randomUUID().toString(), host, ProcessHandle.current().pid(), null);
		return new MigrationGate(own, asking, SETTINGS, waiting, instance, new GateListener() {
		}, ShutdownSignal.never());
	}

	private DataSource direct(String url) {
		return new DriverManagerDataSource(url, this.postgres.username(), this.postgres.password());
	}

	private HikariDataSource pool(String url) {
		HikariDataSource pool = new HikariDataSource();
		pool.setJdbcUrl(url);
		pool.setUsername(this.postgres.username());
		pool.setPassword(this.postgres.password());
		pool.setMaximumPoolSize(POOL);
		pool.setMinimumIdle(0);
		pool.setConnectionTimeout(Duration.ofMinutes(1).toMillis());
		return pool;
	}

	// live rows, as instances that joined the registry: the asks spread over them
	private void registerFleet(String url, int instances) throws SQLException {
		try (Connection connection = this.postgres.connect(url); Statement statement = connection.createStatement()) {
			statement.execute("CREATE TABLE SCHEMAGATE_INSTANCE (INSTANCE_ID CHAR(36) NOT NULL PRIMARY KEY, "
					+ "LOCK_KEY VARCHAR(255) NOT NULL, HOST VARCHAR(255) NOT NULL, PID BIGINT NOT NULL, "
					+ "APP_VERSION VARCHAR(255), CHANGELOG_HEAD VARCHAR(255), CONTRACTS TEXT[] NOT NULL, "
					+ "CHANGESETS TEXT[], STARTED_AT TIMESTAMP WITH TIME ZONE NOT NULL, "
					+ "HEARTBEAT_AT TIMESTAMP WITH TIME ZONE NOT NULL)");
			try (PreparedStatement insert = connection.prepareStatement("INSERT INTO SCHEMAGATE_INSTANCE "
					+ "SELECT gen_random_uuid()::text, 'benchmark', 'instance-' || i, i, '1', NULL, '{}', NULL, now(), "
					+ "now() + interval '1 hour' FROM generate_series(1, ?) i")) {
				// a heartbeat an hour ahead stands for renewals every few seconds
				insert.setInt(1, instances);
				insert.executeUpdate();
			}
		}
	}

	private void awaitAsks(StatementCounter asks, int askers) throws Exception {
		long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
		// a first ask of each (the fleet was counted on its own session)
		while (asks.statements() < askers) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("Only " + asks.statements() + " asks of " + askers + " waiters");
			}
			Thread.sleep(200);
		}
	}

	// the sessions on the benchmark's database but the leader's and this query's own
	private long serverSessions(String url) throws SQLException {
		return this.postgres.number(url, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
				+ "AND pid <> pg_backend_pid() AND application_name NOT LIKE 'schemagate leader%'").longValue();
	}

	private long transactions(String url) throws SQLException {
		return this.postgres.number(url, "SELECT xact_commit + xact_rollback FROM pg_stat_database "
				+ "WHERE datname = current_database()").longValue();
	}

	/**
	 * What the waiting contenders cost.
	 *
	 * @param waiters how many waited
	 * @param route where their asks went
	 * @param seconds how long the database was watched
	 * @param queriesPerSecond transactions the database committed per second meanwhile, the
	 * leader's lease renewals included: each ask or poll is a transaction of its own
	 * @param statementsPerSecond statements the contenders sent per second, counted at the
	 * client
	 * @param serverSessions most sessions on the database at once while they waited, the
	 * leader's but for its fenced session: the listeners' own and the pool's or pooler's
	 * @param allStartedSeconds from the leader's release until every contender was done
	 */
	record Result(int waiters, Route route, double seconds, double queriesPerSecond, double statementsPerSecond,
			long serverSessions, double allStartedSeconds) {
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
