package dev.schemagate.gate;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.schemagate.database.SharedSessionException;
import dev.schemagate.postgresql.PostgresGateDatabase;
import dev.schemagate.status.ChangesetRun;
import dev.schemagate.status.GateListener;
import dev.schemagate.status.GateStatus;
import dev.schemagate.status.SchemaPosition;
import dev.schemagate.test.StatementCounter;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import org.springframework.jdbc.datasource.AbstractDataSource;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link MigrationGate} against a real PostgreSQL, without a Spring context.
 */
class MigrationGateTests {

	private static final GateSettings SETTINGS = settings(Duration.ofSeconds(10), Duration.ofSeconds(30));

	private static final GateListener NO_LISTENER = new GateListener() {
	};

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
		this.pools.clear();
	}

	@Test
	void migrationRunsOnTheSessionThatHoldsTheFence() throws Exception {
		List<Long> seen = new ArrayList<>();
		gate(SETTINGS).run((fenced, progress) -> {
			try (Connection connection = fenced.getConnection()) {
				seen.add(queryLong(connection, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
						+ "AND granted AND pid = pg_backend_pid()"));
				seen.add(queryLong(connection, "SELECT count(*) FROM INT_LOCK WHERE REGION = 'schemagate'"));
			}
		});
		assertThat(seen).containsExactly(1L, 1L);
		assertThat(query("SELECT count(*) FROM INT_LOCK")).isZero();
		assertThat(query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
				+ "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).isZero();
	}

	@Test
	void secondInstanceWaitsForLeader() throws Exception {
		CountDownLatch leaderMigrating = new CountDownLatch(1);
		CountDownLatch releaseLeader = new CountDownLatch(1);
		List<String> order = new ArrayList<>();
		ExecutorService executor = Executors.newFixedThreadPool(2);
		try {
			Future<?> leader = executor.submit(() -> {
				gate(SETTINGS).run((fenced, progress) -> {
					leaderMigrating.countDown();
					releaseLeader.await();
					synchronized (order) {
						order.add("leader");
					}
				});
				return null;
			});
			assertThat(leaderMigrating.await(10, TimeUnit.SECONDS)).isTrue();
			Future<?> follower = executor.submit(() -> {
				gate(SETTINGS).run((fenced, progress) -> {
					synchronized (order) {
						order.add("follower");
					}
				});
				return null;
			});
			Thread.sleep(1500);
			assertThat(follower).isNotDone();
			releaseLeader.countDown();
			leader.get(10, TimeUnit.SECONDS);
			follower.get(10, TimeUnit.SECONDS);
		}
		finally {
			executor.shutdownNow();
		}
		assertThat(order).containsExactly("leader", "follower");
	}

	@Test
	void createIndexConcurrentlyRunsWhileOthersWait() throws Exception {
		execute("CREATE TABLE item (name varchar(20))");
		CountDownLatch leaderMigrating = new CountDownLatch(1);
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try {
			Future<?> leader = executor.submit(() -> {
				gate(SETTINGS).run((fenced, progress) -> {
					leaderMigrating.countDown();
					// let the follower settle into waiting first
					Thread.sleep(1500);
					try (Connection connection = fenced.getConnection();
							Statement statement = connection.createStatement()) {
						statement.execute("CREATE INDEX CONCURRENTLY item_name_idx ON item (name)");
					}
				});
				return null;
			});
			assertThat(leaderMigrating.await(10, TimeUnit.SECONDS)).isTrue();
			AtomicInteger followerMigrations = new AtomicInteger();
			gate(SETTINGS).run((fenced, progress) -> followerMigrations.incrementAndGet());
			leader.get(10, TimeUnit.SECONDS);
			assertThat(followerMigrations).hasValue(1);
		}
		finally {
			executor.shutdownNow();
		}
		assertThat(query("SELECT count(*) FROM pg_indexes WHERE indexname = 'item_name_idx'")).isOne();
	}

	@Test
	void waitingInstanceSeesWhichChangesetTheLeaderRuns() throws Exception {
		ChangesetRun second = new ChangesetRun(2, 3, "002-backfill", "alice", "db/changelog.xml");
		CountDownLatch leaderInSecond = new CountDownLatch(1);
		CountDownLatch releaseLeader = new CountDownLatch(1);
		GateStatus leaderStatus = new GateStatus("leader");
		GateStatus followerStatus = new GateStatus("follower");
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try {
			Future<?> leader = executor.submit(() -> {
				new MigrationGate(pool(2), SETTINGS, new Instance("22222222-2222-2222-2222-222222222222", "lead", 7,
						"2.0"), leaderStatus)
					.run((fenced, progress) -> {
						progress.inspected(new SchemaPosition("003-index", 3, 0, List.of()));
						ChangesetRun first = new ChangesetRun(1, 3, "001-table", "alice", "db/changelog.xml");
						progress.started(first);
						progress.applied(first);
						progress.started(second);
						leaderInSecond.countDown();
						releaseLeader.await();
						progress.applied(second);
					});
				return null;
			});
			assertThat(leaderInSecond.await(10, TimeUnit.SECONDS)).isTrue();
			Future<?> follower = Executors.newSingleThreadExecutor().submit(() -> {
				gate(SETTINGS, followerStatus).run((fenced, progress) -> {
				});
				return null;
			});
			// the follower reports every five seconds
			long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
			while (followerStatus.getLastLeaderProgress().isEmpty() && System.nanoTime() < deadline) {
				Thread.sleep(100);
			}
			assertThat(followerStatus.getState()).isEqualTo(GateStatus.State.WAITING);
			assertThat(followerStatus.getLastHolder()).hasValueSatisfying(
					(holder) -> assertThat(holder.applicationName()).isEqualTo("schemagate lead pid 7"));
			assertThat(followerStatus.getLastLeaderProgress()).hasValueSatisfying((progress) -> {
				assertThat(progress.host()).isEqualTo("lead");
				assertThat(progress.changeset()).isEqualTo(second);
				assertThat(progress.toString()).contains("running changeset 2/3 002-backfill (alice)");
			});
			assertThat(leaderStatus.getState()).isEqualTo(GateStatus.State.MIGRATING);
			assertThat(leaderStatus.getRunning()).contains(second);
			assertThat(leaderStatus.getPending()).isEqualTo(2);
			releaseLeader.countDown();
			leader.get(10, TimeUnit.SECONDS);
			follower.get(10, TimeUnit.SECONDS);
		}
		finally {
			executor.shutdownNow();
		}
		assertThat(leaderStatus.getState()).isEqualTo(GateStatus.State.UP_TO_DATE);
		assertThat(leaderStatus.getApplied()).extracting(GateStatus.AppliedChangeset::changeset)
			.extracting(ChangesetRun::id)
			.containsExactly("001-table", "002-backfill");
		assertThat(leaderStatus.getPending()).isEqualTo(1);
		assertThat(followerStatus.getState()).isEqualTo(GateStatus.State.UP_TO_DATE);
		assertThat(followerStatus.getApplied()).isEmpty();
		assertThat(query("SELECT count(*) FROM SCHEMAGATE_LEADER")).isZero();
		assertThat(query("SELECT count(*) FROM SCHEMAGATE_HISTORY WHERE HOST = 'lead' AND APP_VERSION = '2.0' "
				+ "AND OUTCOME = 'APPLIED' AND DB_USER = current_user")).isEqualTo(2);
	}

	@Test
	void failedChangesetIsRecordedInTheHistoryAndTheStatus() throws Exception {
		GateStatus status = new GateStatus("test");
		ChangesetRun broken = new ChangesetRun(1, 1, "001-broken", "bob", "db/changelog.xml");
		assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> gate(SETTINGS, status)
			.run((fenced, progress) -> {
				progress.started(broken);
				IllegalStateException failure = new IllegalStateException("relation \"nope\" does not exist");
				progress.failed(broken, failure);
				throw failure;
			}));
		assertThat(status.getState()).isEqualTo(GateStatus.State.FAILED);
		assertThat(status.getLastError()).hasValueSatisfying((error) -> assertThat(error).contains("nope"));
		assertThat(query("SELECT count(*) FROM SCHEMAGATE_HISTORY WHERE CHANGESET_ID = '001-broken' "
				+ "AND OUTCOME = 'FAILED' AND ERROR LIKE '%nope%'")).isOne();
		assertThat(query("SELECT count(*) FROM SCHEMAGATE_LEADER")).isZero();
	}

	// more instances than listener slots: most wait without a session of their own, and one
	// that finds the fence free after the leader looks at what it applied before migrating
	@Test
	void sixteenInstancesStartingAtOnceInsertOnceThoughMostWaitWithoutASession() throws Exception {
		for (int round = 0; round < 3; round++) {
			this.url = this.postgres.createDatabase();
			execute("CREATE TABLE migrated (id serial PRIMARY KEY)");
			int instances = 16;
			CyclicBarrier start = new CyclicBarrier(instances);
			List<MigrationGate> gates = new ArrayList<>();
			for (int i = 0; i < instances; i++) {
				gates.add(new MigrationGate(pool(2), pool(1), SETTINGS, new WaitingSettings(2, 80, Duration.ofSeconds(30)),
						Instance.current(null), NO_LISTENER, ShutdownSignal.never()));
			}
			ExecutorService executor = Executors.newFixedThreadPool(instances);
			try {
				List<Future<?>> runs = new ArrayList<>();
				for (MigrationGate gate : gates) {
					runs.add(executor.submit(() -> {
						start.await();
						gate.run(new Migration() {

							@Override
							public Optional<SchemaPosition> upToDate(Connection session) throws SQLException {
								return (queryLong(session, "SELECT count(*) FROM migrated") > 0)
										? Optional.of(new SchemaPosition("1", 0, 0, List.of())) : Optional.empty();
							}

							// long enough for every other instance to find the fence held: one that
							// took it free after the leader had released it would not have waited,
							// and only Liquibase's own look at what is pending would spare the insert
							@Override
							public void migrate(FencedDataSource fenced, MigrationProgress progress) throws Exception {
								Thread.sleep(1000);
								try (Statement statement = fenced.getConnection().createStatement()) {
									statement.execute("INSERT INTO migrated DEFAULT VALUES");
								}
							}

						});
						return null;
					}));
				}
				for (Future<?> run : runs) {
					run.get(60, TimeUnit.SECONDS);
				}
			}
			finally {
				executor.shutdownNow();
			}
			assertThat(query("SELECT count(*) FROM migrated")).as("rows inserted in round %d", round).isOne();
			closePools();
		}
	}

	@Test
	void sixteenInstancesStartingAtOnceOnAnEmptyDatabaseMigrateOneAtATime() throws Exception {
		for (int round = 0; round < 5; round++) {
			this.url = this.postgres.createDatabase();
			int instances = 16;
			CyclicBarrier start = new CyclicBarrier(instances);
			AtomicInteger running = new AtomicInteger();
			AtomicInteger mostAtOnce = new AtomicInteger();
			AtomicInteger migrations = new AtomicInteger();
			List<MigrationGate> gates = new ArrayList<>();
			for (int i = 0; i < instances; i++) {
				gates.add(gate(SETTINGS));
			}
			ExecutorService executor = Executors.newFixedThreadPool(instances);
			try {
				List<Future<?>> runs = new ArrayList<>();
				for (MigrationGate gate : gates) {
					runs.add(executor.submit(() -> {
						start.await();
						gate.run((fenced, progress) -> {
							mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
							Thread.sleep(20);
							migrations.incrementAndGet();
							running.decrementAndGet();
						});
						return null;
					}));
				}
				for (Future<?> run : runs) {
					run.get(60, TimeUnit.SECONDS);
				}
			}
			finally {
				executor.shutdownNow();
			}
			assertThat(migrations).hasValue(instances);
			assertThat(mostAtOnce).hasValue(1);
			assertThat(query("SELECT count(*) FROM INT_LOCK")).isZero();
			closePools();
		}
	}

	@Test
	void waitersStartOnceTheLeaderHasAppliedEverythingWithoutMigratingAgain() throws Exception {
		AtomicInteger migrations = new AtomicInteger();
		CountDownLatch leaderMigrating = new CountDownLatch(1);
		CountDownLatch releaseLeader = new CountDownLatch(1);
		Migration createsDone = createsDone(migrations, leaderMigrating, releaseLeader);
		ExecutorService executor = Executors.newFixedThreadPool(5);
		long lockId = Fence.lockId("schemagate/schemagate/test");
		try (Connection listener = this.postgres.connect(this.url)) {
			new PostgresGateDatabase().listenForRelease(listener, lockId);
			Future<?> leader = executor.submit(() -> {
				gate(SETTINGS).run(createsDone);
				return null;
			});
			assertThat(leaderMigrating.await(30, TimeUnit.SECONDS)).isTrue();
			List<GateStatus> waiters = new ArrayList<>();
			List<Future<?>> waiting = new ArrayList<>();
			for (int i = 0; i < 4; i++) {
				GateStatus status = new GateStatus("waiter-" + i);
				waiters.add(status);
				waiting.add(executor.submit(() -> {
					gate(SETTINGS, status).run(createsDone);
					return null;
				}));
			}
			// every waiter has asked for the fence once, so it listens for its release
			awaitCount("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
					+ "AND query LIKE '" + PostgresGateDatabase.POLL_MARKER + "%'", 4);
			releaseLeader.countDown();
			leader.get(30, TimeUnit.SECONDS);
			for (Future<?> waiter : waiting) {
				waiter.get(30, TimeUnit.SECONDS);
			}
			assertThat(migrations).hasValue(1);
			// only the leader let go of the fence: the waiters, woken by its release, found the
			// schema up to date without taking it
			assertThat(notifications(listener, PostgresGateDatabase.channel(lockId), Duration.ofSeconds(2))).isOne();
			assertThat(waiters).allSatisfy((status) -> {
				assertThat(status.getState()).isEqualTo(GateStatus.State.UP_TO_DATE);
				assertThat(status.getFenceAcquisitions()).isZero();
				assertThat(status.getPosition()).hasValueSatisfying(
						(position) -> assertThat(position.changelogLastId()).isEqualTo("1-done"));
			});
		}
		finally {
			executor.shutdownNow();
		}
	}

	@Test
	void waitingInstanceAsksOncePerPollOnOneConnection() throws Exception {
		GateSettings patient = settings(Duration.ofSeconds(10), Duration.ofSeconds(6));
		gate(SETTINGS).run((fenced, progress) -> {
		});
		try (Connection holder = this.postgres.connect(this.url)) {
			try (Statement statement = holder.createStatement()) {
				statement.execute("SELECT pg_advisory_lock(" + Fence.lockId("schemagate/schemagate/test") + ")");
			}
			StatementCounter counter = new StatementCounter(pool(4));
			long started = System.nanoTime();
			assertThatExceptionOfType(LockWaitTimeoutException.class)
				.isThrownBy(() -> new MigrationGate(counter.dataSource(), patient, Instance.current(null), NO_LISTENER)
					.run((fenced, progress) -> {
					}));
			long waitedSeconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
			// a poll a second, plus setting up and tearing down the waiting session and taking
			// and letting go of its listener slot
			assertThat(counter.statements()).as("statements in %ds of waiting", waitedSeconds)
				.isBetween(waitedSeconds - 1, waitedSeconds + 12);
			assertThat(counter.mostOpenAtOnce()).isOne();
			// the pool keeps the session: the listener slot it held while waiting is let go
			assertThat(query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"))
				.as("listener slots left on the pool's session")
				.isZero();
		}
	}

	@Test
	void waitersPastTheListenersHoldNoSessionAndAskThroughThePool() throws Exception {
		AtomicInteger migrations = new AtomicInteger();
		CountDownLatch leaderMigrating = new CountDownLatch(1);
		CountDownLatch releaseLeader = new CountDownLatch(1);
		Migration createsDone = createsDone(migrations, leaderMigrating, releaseLeader);
		WaitingSettings twoListeners = new WaitingSettings(2, 80, Duration.ofSeconds(30));
		ExecutorService executor = Executors.newFixedThreadPool(7);
		// every instance's own sessions open on a data source of its own, one per connection
		// asked for; the asks go through one shared pool, as behind a pooler
		StatementCounter asking = new StatementCounter(pool(2));
		try {
			Future<?> leader = executor.submit(() -> {
				gate(SETTINGS).run(createsDone);
				return null;
			});
			assertThat(leaderMigrating.await(30, TimeUnit.SECONDS)).isTrue();
			List<GateStatus> waiters = new ArrayList<>();
			List<Future<?>> waiting = new ArrayList<>();
			for (int i = 0; i < 6; i++) {
				GateStatus status = new GateStatus("waiter-" + i);
				waiters.add(status);
				String name = "waiter-" + i;
				waiting.add(executor.submit(() -> {
					new MigrationGate(
							new DriverManagerDataSource(this.url, this.postgres.username(), this.postgres.password()),
							asking.dataSource(), SETTINGS, twoListeners,
							new Instance(java.util.UUID.randomUUID().toString(), name, 1, null), status,
							ShutdownSignal.never())
						.run(createsDone);
					return null;
				}));
			}
			// two waiters listen on sessions of their own; the four others have asked
			awaitCount("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
					+ "AND application_name LIKE 'schemagate waiter-%' AND query LIKE '"
					+ PostgresGateDatabase.POLL_MARKER + "%'", 2);
			long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
			while (asking.statements() < 4) {
				assertThat(System.nanoTime()).as("four asks through the pool").isLessThan(deadline);
				Thread.sleep(50);
			}
			Thread.sleep(1500);
			assertThat(query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
					+ "AND application_name LIKE 'schemagate waiter-%'"))
				.as("sessions of their own held by waiting instances")
				.isEqualTo(2);
			assertThat(query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 "
					+ "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
				.as("listener slots held")
				.isEqualTo(2);
			assertThat(asking.mostOpenAtOnce()).isLessThanOrEqualTo(2);
			releaseLeader.countDown();
			leader.get(30, TimeUnit.SECONDS);
			for (Future<?> waiter : waiting) {
				waiter.get(30, TimeUnit.SECONDS);
			}
			assertThat(migrations).hasValue(1);
			assertThat(waiters).allSatisfy((status) -> {
				assertThat(status.getState()).isEqualTo(GateStatus.State.UP_TO_DATE);
				assertThat(status.getFenceAcquisitions()).isZero();
			});
			assertThat(query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
					+ "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
				.as("advisory locks left")
				.isZero();
		}
		finally {
			releaseLeader.countDown();
			executor.shutdownNow();
		}
	}

	@Test
	void waiterWhosePoolMayNotReadTheGatesTablesAsksThroughTheMigrationDataSource() throws Exception {
		AtomicInteger migrations = new AtomicInteger();
		CountDownLatch leaderMigrating = new CountDownLatch(1);
		CountDownLatch releaseLeader = new CountDownLatch(1);
		Migration createsDone = createsDone(migrations, leaderMigrating, releaseLeader);
		// the gate's tables exist before the application's role does: it has no right on them
		gate(SETTINGS).run((fenced, progress) -> {
		});
		execute("DROP ROLE IF EXISTS sg_no_rights", "CREATE ROLE sg_no_rights LOGIN PASSWORD 'sg_no_rights'");
		this.postgres.executeIn(this.url, "GRANT CONNECT ON DATABASE " + this.url.substring(this.url.lastIndexOf('/') + 1)
				+ " TO sg_no_rights");
		ExecutorService executor = Executors.newFixedThreadPool(2);
		HikariDataSource application = new HikariDataSource();
		application.setJdbcUrl(this.url);
		application.setUsername("sg_no_rights");
		application.setPassword("sg_no_rights");
		application.setMaximumPoolSize(1);
		try {
			Future<?> leader = executor.submit(() -> {
				gate(SETTINGS).run(createsDone);
				return null;
			});
			assertThat(leaderMigrating.await(30, TimeUnit.SECONDS)).isTrue();
			GateStatus status = new GateStatus("waiter");
			Future<?> waiter = executor.submit(() -> {
				new MigrationGate(pool(2), application, SETTINGS, new WaitingSettings(0, 80, Duration.ofSeconds(30)),
						Instance.current(null), status, ShutdownSignal.never())
					.run(createsDone);
				return null;
			});
			Thread.sleep(3000);
			assertThat(waiter).as("still waiting, through the migration data source").isNotDone();
			releaseLeader.countDown();
			leader.get(30, TimeUnit.SECONDS);
			waiter.get(30, TimeUnit.SECONDS);
			assertThat(migrations).hasValue(1);
			assertThat(status.getState()).isEqualTo(GateStatus.State.UP_TO_DATE);
		}
		finally {
			releaseLeader.countDown();
			executor.shutdownNow();
			application.close();
		}
	}

	@Test
	void asksOfWaitersWithoutASessionSpreadOverTheFleetTheRegistryCounts() throws Exception {
		gate(SETTINGS).run((fenced, progress) -> {
		});
		execute("CREATE TABLE SCHEMAGATE_INSTANCE (INSTANCE_ID varchar(36) PRIMARY KEY, LOCK_KEY varchar(255), "
				+ "HEARTBEAT_AT timestamp with time zone)",
				"INSERT INTO SCHEMAGATE_INSTANCE SELECT 'instance-' || i, 'test', now() FROM generate_series(1, 400) i");
		GateSettings patient = settings(Duration.ofSeconds(10), Duration.ofSeconds(9));
		// no listener: every wait asks; 400 live instances at 80 asks a second ask every 5 s
		WaitingSettings noListener = new WaitingSettings(0, 80, Duration.ofSeconds(30));
		try (Connection holder = this.postgres.connect(this.url)) {
			try (Statement statement = holder.createStatement()) {
				statement.execute("SELECT pg_advisory_lock(" + Fence.lockId("schemagate/schemagate/test") + ")");
			}
			StatementCounter asking = new StatementCounter(pool(2));
			assertThatExceptionOfType(LockWaitTimeoutException.class)
				.isThrownBy(() -> new MigrationGate(pool(2), asking.dataSource(), patient, noListener,
						Instance.current(null), NO_LISTENER, ShutdownSignal.never())
					.run((fenced, progress) -> {
					}));
			// the fleet counted on the instance's own session, a first ask within 5 s, then
			// one every 4 to 6 s until the wait of 9 s times out: a poll a second would have
			// sent 10
			assertThat(asking.statements()).as("statements in 9 s").isBetween(2L, 4L);
		}
	}

	@Test
	void waitersThatFindTheFenceHeldTogetherSpreadTheirFirstAsksOverOneInterval() throws Exception {
		gate(SETTINGS).run((fenced, progress) -> {
		});
		execute("CREATE TABLE SCHEMAGATE_INSTANCE (INSTANCE_ID varchar(36) PRIMARY KEY, LOCK_KEY varchar(255), "
				+ "HEARTBEAT_AT timestamp with time zone)",
				"INSERT INTO SCHEMAGATE_INSTANCE SELECT 'instance-' || i, 'test', now() FROM generate_series(1, 800) i");
		// no listener: 800 live instances at 80 asks a second ask every 10 s
		WaitingSettings noListener = new WaitingSettings(0, 80, Duration.ofSeconds(30));
		// the holder below renews no lease: with the usual 10 s, a waiter whose second ask
		// comes before the last waiter's first would end it as frozen and take the fence
		GateSettings holderNotFrozen = settings(Duration.ofSeconds(60), Duration.ofSeconds(30));
		int waiters = 40;
		ExecutorService executor = Executors.newFixedThreadPool(waiters);
		StatementCounter asking = new StatementCounter(pool(4));
		// sessions opened beforehand, so that the waiters find the fence held within
		// a few milliseconds of each other, as a fleet's instances do
		HikariDataSource own = pool(waiters);
		List<Connection> opened = new ArrayList<>();
		for (int i = 0; i < waiters; i++) {
			opened.add(own.getConnection());
		}
		for (Connection connection : opened) {
			connection.close();
		}
		ShutdownSignal shutdown = new ShutdownSignal(false);
		try (Connection holder = this.postgres.connect(this.url)) {
			try (Statement statement = holder.createStatement()) {
				statement.execute("SELECT pg_advisory_lock(" + Fence.lockId("schemagate/schemagate/test") + ")");
			}
			long started = System.nanoTime();
			List<Future<?>> waiting = new ArrayList<>();
			for (int i = 0; i < waiters; i++) {
				waiting.add(executor.submit(() -> {
					new MigrationGate(own, asking.dataSource(), holderNotFrozen, noListener, Instance.current(null),
							NO_LISTENER, shutdown)
						.run((fenced, progress) -> {
						});
					return null;
				}));
			}
			// the poll interval is 1 s: waiters that asked first once a poll interval would
			// all have asked by now; spread over 10 s, about one in six has
			Thread.sleep(Math.max(0, 1800 - (System.nanoTime() - started) / 1_000_000));
			assertThat(asking.statements()).as("asks within 1.8 s of %d waiters starting together", waiters)
				.isLessThan(waiters / 2);
			long deadline = started + Duration.ofSeconds(15).toNanos();
			while (asking.statements() < waiters) {
				assertThat(System.nanoTime()).as("every waiter has asked once within an interval and a fifth")
					.isLessThan(deadline);
				Thread.sleep(100);
			}
			shutdown.request();
			for (Future<?> waiter : waiting) {
				assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> waiter.get(30, TimeUnit.SECONDS))
					.withCauseInstanceOf(StartCancelledException.class);
			}
		}
		finally {
			shutdown.request();
			executor.shutdownNow();
		}
	}

	@Test
	void fenceTakenOnASessionAPoolerSharesIsNotLeftThere() throws Exception {
		try (Connection first = this.postgres.connect(this.url); Connection second = this.postgres.connect(this.url)) {
			// as a pooler in transaction mode: each statement on whichever server session is
			// free, and a client's close hands the sessions back instead of ending them
			DataSource pooler = new AbstractDataSource() {

				@Override
				public Connection getConnection() {
					return alternating(first, second);
				}

				@Override
				public Connection getConnection(String username, String password) {
					return getConnection();
				}

			};
			assertThatExceptionOfType(SharedSessionException.class)
				.isThrownBy(() -> new MigrationGate(pooler, SETTINGS, Instance.current(null), NO_LISTENER)
					.run((fenced, progress) -> {
					}));
			assertThat(query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
					+ "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
				.as("advisory locks left on the pooler's sessions")
				.isZero();
		}
	}

	// a connection whose statements go to two sessions in turn, and whose close and abort
	// leave both open
	private static Connection alternating(Connection first, Connection second) {
		AtomicInteger statements = new AtomicInteger();
		return (Connection) Proxy.newProxyInstance(MigrationGateTests.class.getClassLoader(),
				new Class<?>[] { Connection.class }, (proxy, method, arguments) -> {
					String name = method.getName();
					if (name.equals("close") || name.equals("abort")) {
						return null;
					}
					if (name.equals("isClosed")) {
						return false;
					}
					if (name.startsWith("set") || name.equals("commit") || name.equals("rollback")) {
						method.invoke(second, arguments);
						return method.invoke(first, arguments);
					}
					Connection target = (name.equals("prepareStatement") || name.equals("createStatement"))
							? ((statements.getAndIncrement() % 2 == 0) ? first : second) : first;
					try {
						return method.invoke(target, arguments);
					}
					catch (InvocationTargetException ex) {
						throw ex.getCause();
					}
				});
	}

	// the leader creates a table once released; whoever finds it is up to date
	private static Migration createsDone(AtomicInteger migrations, CountDownLatch leaderMigrating,
			CountDownLatch releaseLeader) {
		return new Migration() {

			@Override
			public Optional<SchemaPosition> upToDate(Connection session) throws SQLException {
				return (queryLong(session, "SELECT count(*) FROM pg_tables WHERE tablename = 'done'") == 1)
						? Optional.of(new SchemaPosition("1-done", 0, 0, List.of())) : Optional.empty();
			}

			@Override
			public void migrate(FencedDataSource fenced, MigrationProgress progress) throws Exception {
				migrations.incrementAndGet();
				leaderMigrating.countDown();
				assertThat(releaseLeader.await(30, TimeUnit.SECONDS)).isTrue();
				try (Statement statement = fenced.getConnection().createStatement()) {
					statement.execute("CREATE TABLE done (id int)");
				}
			}

		};
	}

	@Test
	void leaseIsRenewedWhileMigrationOutlastsItsTimeToLive() throws Exception {
		GateSettings shortLease = settings(Duration.ofSeconds(2), Duration.ofSeconds(30));
		List<Long> liveRows = new ArrayList<>();
		gate(shortLease).run((fenced, progress) -> {
			// three times the time-to-live
			for (int i = 0; i < 20; i++) {
				Thread.sleep(300);
				liveRows.add(query("SELECT count(*) FROM INT_LOCK WHERE EXPIRED_AFTER > (now() AT TIME ZONE 'UTC')"));
			}
		});
		assertThat(liveRows).hasSize(20).containsOnly(1L);
	}

	@Test
	void rowLeftByADeadLeaderIsTakenOverAtOnce() throws Exception {
		gate(SETTINGS).run((fenced, progress) -> {
		});
		execute("INSERT INTO INT_LOCK (REGION, LOCK_KEY, CLIENT_ID, CREATED_DATE, EXPIRED_AFTER) VALUES "
				+ "('schemagate', '" + org.springframework.integration.util.UUIDConverter.getUUID("test")
				+ "', 'dead0000-0000-0000-0000-000000000000', now(), now() + interval '1 hour')");
		AtomicInteger migrations = new AtomicInteger();
		long started = System.nanoTime();
		gate(SETTINGS).run((fenced, progress) -> migrations.incrementAndGet());
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
		assertThat(migrations).hasValue(1);
		assertThat(query("SELECT count(*) FROM INT_LOCK")).isZero();
	}

	@Test
	void waitGivesUpAfterTimeoutNamingTheHolder() throws Exception {
		GateSettings impatient = settings(Duration.ofSeconds(10), Duration.ofSeconds(2));
		CountDownLatch leaderMigrating = new CountDownLatch(1);
		CountDownLatch releaseLeader = new CountDownLatch(1);
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try {
			Instance leaderInstance = new Instance("11111111-1111-1111-1111-111111111111", "leaderhost", 4242, "1.0");
			Future<?> leader = executor.submit(() -> {
				new MigrationGate(pool(2), SETTINGS, leaderInstance, NO_LISTENER).run((fenced, progress) -> {
					leaderMigrating.countDown();
					releaseLeader.await();
				});
				return null;
			});
			assertThat(leaderMigrating.await(10, TimeUnit.SECONDS)).isTrue();
			AtomicInteger migrations = new AtomicInteger();
			assertThatExceptionOfType(LockWaitTimeoutException.class)
				.isThrownBy(() -> gate(impatient).run((fenced, progress) -> migrations.incrementAndGet()))
				.withMessageContaining("schemagate leaderhost pid 4242")
				// what to set is the failure analysis's to say: the gate knows no property
				.withMessageNotContaining("schemagate.lock")
				.satisfies((ex) -> assertThat(ex.getHolder()).isPresent());
			assertThat(migrations).hasValue(0);
			releaseLeader.countDown();
			leader.get(10, TimeUnit.SECONDS);
		}
		finally {
			executor.shutdownNow();
		}
	}

	@Test
	void failedMigrationReleasesTheLock() throws Exception {
		assertThatExceptionOfType(IllegalArgumentException.class)
			.isThrownBy(() -> gate(SETTINGS).run((fenced, progress) -> {
				throw new IllegalArgumentException("changeset failed");
			}))
			.withMessage("changeset failed");
		assertThat(query("SELECT count(*) FROM INT_LOCK")).isZero();
		assertThat(query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
				+ "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).isZero();
	}

	@Test
	void lostConnectionRepeatsTheWholePass() throws Exception {
		AtomicInteger attempts = new AtomicInteger();
		List<Long> fencedBackends = new ArrayList<>();
		gate(SETTINGS).run((fenced, progress) -> {
			try (Connection connection = fenced.getConnection()) {
				long backend = queryLong(connection, "SELECT pg_backend_pid()");
				fencedBackends.add(backend);
				if (attempts.incrementAndGet() == 1) {
					execute("SELECT pg_terminate_backend(" + backend + ")");
					queryLong(connection, "SELECT 1");
				}
			}
		});
		assertThat(attempts).hasValue(2);
		assertThat(fencedBackends).doesNotHaveDuplicates();
		assertThat(query("SELECT count(*) FROM INT_LOCK")).isZero();
	}

	@Test
	void lostSessionIsRetriedEvenWhenTheMigrationReportsSomethingElse() throws Exception {
		AtomicInteger attempts = new AtomicInteger();
		gate(SETTINGS).run((fenced, progress) -> {
			if (attempts.incrementAndGet() == 1) {
				try (Connection connection = fenced.getConnection()) {
					execute("SELECT pg_terminate_backend(" + queryLong(connection, "SELECT pg_backend_pid()") + ")");
				}
				// what a migration tool throws when its clean-up fails on the dead session
				throw new IllegalStateException("Connection is closed");
			}
		});
		assertThat(attempts).hasValue(2);
	}

	@Test
	void unreachableDatabaseFailsAfterRetryTimeoutNamingWhatToDo() {
		GateSettings quick = new GateSettings("INT_", "SCHEMAGATE_", "schemagate", "test", Duration.ofSeconds(10),
				Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofMillis(500));
		HikariDataSource nowhere = pool(1);
		nowhere.setJdbcUrl("jdbc:postgresql://localhost:1/nowhere");
		nowhere.setConnectionTimeout(250);
		long started = System.nanoTime();
		assertThatExceptionOfType(DatabaseUnavailableException.class)
			.isThrownBy(() -> new MigrationGate(nowhere, quick, Instance.current(null), NO_LISTENER).run((fenced, progress) -> {
			}))
			.withMessageContaining("stayed out of reach")
			.withMessageNotContaining("schemagate.retry");
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThan(Duration.ofMillis(1500));
	}

	@Test
	void wrongCredentialsFailAtOnce() {
		HikariDataSource wrong = pool(1);
		wrong.setPassword("not-the-password");
		long started = System.nanoTime();
		assertThatExceptionOfType(Exception.class)
			.isThrownBy(() -> new MigrationGate(wrong, SETTINGS, Instance.current(null), NO_LISTENER).run((fenced, progress) -> {
			}))
			.withStackTraceContaining("password authentication failed");
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
	}

	@Test
	void missingLockTableThatCannotBeCreatedNamesTheDdl() throws Exception {
		String role = "sg_no_ddl_" + ProcessHandle.current().pid();
		String database = this.url.substring(this.url.lastIndexOf('/') + 1);
		this.postgres.execute("DROP ROLE IF EXISTS " + role, "CREATE ROLE " + role + " LOGIN PASSWORD 'secret'");
		execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC", "GRANT CONNECT ON DATABASE " + database + " TO " + role);
		HikariDataSource restricted = pool(1);
		restricted.setUsername(role);
		restricted.setPassword("secret");
		AtomicInteger migrations = new AtomicInteger();
		assertThatExceptionOfType(GateTableUnavailableException.class)
			.isThrownBy(() -> new MigrationGate(restricted, SETTINGS, Instance.current(null), NO_LISTENER)
				.run((fenced, progress) -> migrations.incrementAndGet()))
			.withMessageContaining("The tables INT_LOCK, SCHEMAGATE_LEADER, SCHEMAGATE_HISTORY do not exist")
			.satisfies((ex) -> assertThat(ex.getDdl()).hasSize(3)
				.anySatisfy((ddl) -> assertThat(ddl).startsWith("CREATE TABLE IF NOT EXISTS INT_LOCK"))
				.anySatisfy((ddl) -> assertThat(ddl).startsWith("CREATE TABLE IF NOT EXISTS SCHEMAGATE_HISTORY")));
		assertThat(migrations).hasValue(0);
		restricted.close();
		execute("REASSIGN OWNED BY " + role + " TO CURRENT_USER", "DROP OWNED BY " + role);
		this.postgres.execute("DROP DATABASE " + database + " WITH (FORCE)", "DROP ROLE " + role);
	}

	@Test
	void lockTableIsCreatedWithTheConfiguredPrefix() throws Exception {
		execute("CREATE SCHEMA locks");
		GateSettings prefixed = new GateSettings("locks.GATE_", "locks.SG_", "schemagate", "test", Duration.ofSeconds(10),
				Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofMillis(100), Duration.ofSeconds(1));
		List<Long> rows = new ArrayList<>();
		gate(prefixed).run((fenced, progress) -> rows.add(query("SELECT count(*) FROM locks.gate_lock")));
		assertThat(rows).containsExactly(1L);
		assertThat(query("SELECT count(*) FROM pg_tables WHERE tablename = 'int_lock'")).isZero();
	}

	private MigrationGate gate(GateSettings settings) {
		return gate(settings, NO_LISTENER);
	}

	private MigrationGate gate(GateSettings settings, GateListener listener) {
		return new MigrationGate(pool(2), settings, Instance.current(null), listener);
	}

	private HikariDataSource pool(int size) {
		HikariDataSource pool = this.postgres.pool(this.url, size);
		synchronized (this.pools) {
			this.pools.add(pool);
		}
		return pool;
	}

	private void awaitCount(String sql, long expected) throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (query(sql) != expected) {
			assertThat(System.nanoTime()).as("%s = %d within 30s", sql, expected).isLessThan(deadline);
			Thread.sleep(50);
		}
	}

	private static int notifications(Connection listener, String channel, Duration within) throws SQLException {
		int count = 0;
		long deadline = System.nanoTime() + within.toNanos();
		while (System.nanoTime() < deadline) {
			PGNotification[] received = listener.unwrap(PGConnection.class).getNotifications(100);
			for (PGNotification notification : (received != null) ? received : new PGNotification[0]) {
				if (channel.equals(notification.getName())) {
					count++;
				}
			}
		}
		return count;
	}

	/** The tests' settings with the given lease and wait; retries as {@link #SETTINGS}. */
	private static GateSettings settings(Duration timeToLive, Duration waitTimeout) {
		return new GateSettings("INT_", "SCHEMAGATE_", "schemagate", "test", timeToLive, waitTimeout,
				Duration.ofSeconds(20), Duration.ofMillis(100), Duration.ofSeconds(1));
	}

	private long query(String sql) throws SQLException {
		return this.postgres.queryLong(this.url, sql);
	}

	private void execute(String... statements) throws SQLException {
		this.postgres.executeIn(this.url, statements);
	}

	private static long queryLong(Connection connection, String sql) throws SQLException {
		try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
			result.next();
			return result.getLong(1);
		}
	}

}
