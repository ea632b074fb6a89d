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
import java.util.TimeZone;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.schemagate.database.GateDatabase;
import dev.schemagate.database.GateDatabase.Poll;
import dev.schemagate.mariadb.MariaDbGateDatabase;
import dev.schemagate.status.ChangesetRun;
import dev.schemagate.status.GateListener;
import dev.schemagate.status.GateStatus;
import dev.schemagate.status.SchemaPosition;
import dev.schemagate.test.TestMariaDb;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.integration.util.UUIDConverter;
import org.springframework.jdbc.datasource.DelegatingDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link MigrationGate} against a real MariaDB, without a Spring context: the
 * protocol of {@code MigrationGateTests} and {@code LeaderWatchTests} through MariaDB's side
 * of the database seam. The JVM's time zone is set away from UTC meanwhile, so that a time
 * read or written in it instead of UTC shows.
 */
class MariaDbMigrationGateTests {

	private static final Duration TIME_TO_LIVE = Duration.ofSeconds(1);

	private static final GateSettings SETTINGS = settings(Duration.ofSeconds(10), Duration.ofSeconds(30));

	private static final GateListener NO_LISTENER = new GateListener() {
	};

	private final TestMariaDb mariadb = TestMariaDb.get();

	private final List<HikariDataSource> pools = new ArrayList<>();

	private TimeZone timeZone;

	private String url;

	@BeforeEach
	void createDatabase() {
		this.timeZone = TimeZone.getDefault();
		TimeZone.setDefault(TimeZone.getTimeZone("America/St_Johns"));
		this.url = this.mariadb.createDatabase();
	}

	@AfterEach
	void closePools() {
		this.pools.forEach(HikariDataSource::close);
		this.pools.clear();
		TimeZone.setDefault(this.timeZone);
	}

	@Test
	void migrationRunsOnTheSessionThatHoldsTheFenceAndLeavesNothingHeld() throws Exception {
		List<Long> seen = new ArrayList<>();
		gate(SETTINGS).run((fenced, progress) -> {
			try (Connection connection = fenced.getConnection()) {
				seen.add(queryLong(connection, "SELECT COUNT(*) FROM INT_LOCK WHERE REGION = 'schemagate'"));
				seen.add(new MariaDbGateDatabase().holdsFence(connection, lockId()) ? 1L : 0L);
			}
		});
		assertThat(seen).containsExactly(1L, 1L);
		assertThat(query("SELECT COUNT(*) FROM INT_LOCK")).isZero();
		try (Connection other = this.mariadb.connect(this.url)) {
			assertThat(new MariaDbGateDatabase().fenceHolder(other, lockId())).isEmpty();
		}
	}

	@Test
	void sixteenInstancesStartingAtOnceOnAnEmptyDatabaseMigrateOneAtATimeAndInsertOnce() throws Exception {
		for (int round = 0; round < 3; round++) {
			this.url = this.mariadb.createDatabase();
			execute("CREATE TABLE migrated (id INT AUTO_INCREMENT PRIMARY KEY)");
			int instances = 16;
			CyclicBarrier start = new CyclicBarrier(instances);
			AtomicInteger running = new AtomicInteger();
			AtomicInteger mostAtOnce = new AtomicInteger();
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
						gate.run(new Migration() {

							@Override
							public java.util.Optional<SchemaPosition> upToDate(Connection session) throws SQLException {
								return (queryLong(session, "SELECT COUNT(*) FROM migrated") > 0)
										? java.util.Optional.of(new SchemaPosition("1", 0, 0, List.of()))
										: java.util.Optional.empty();
							}

							@Override
							public void migrate(FencedDataSource fenced, MigrationProgress progress) throws Exception {
								mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
								Thread.sleep(20);
								try (Statement statement = fenced.getConnection().createStatement()) {
									statement.execute("INSERT INTO migrated VALUES (NULL)");
								}
								running.decrementAndGet();
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
			assertThat(query("SELECT COUNT(*) FROM migrated")).isOne();
			assertThat(mostAtOnce).hasValue(1);
			assertThat(query("SELECT COUNT(*) FROM INT_LOCK")).isZero();
			closePools();
		}
	}

	@Test
	void waitingInstanceSeesWhichChangesetTheLeaderRunsAndTheHistoryKeepsUtcTimes() throws Exception {
		ChangesetRun second = new ChangesetRun(2, 3, "002-backfill", "alice", "db/changelog.xml");
		CountDownLatch leaderInSecond = new CountDownLatch(1);
		CountDownLatch releaseLeader = new CountDownLatch(1);
		GateStatus leaderStatus = new GateStatus("leader");
		GateStatus followerStatus = new GateStatus("follower");
		ExecutorService executor = Executors.newFixedThreadPool(2);
		try {
			Future<?> leader = executor.submit(() -> {
				new MigrationGate(pool(2), SETTINGS,
						new Instance("22222222-2222-2222-2222-222222222222", "lead", 7, "2.0"), leaderStatus)
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
			Future<?> follower = executor.submit(() -> {
				gate(SETTINGS, followerStatus).run((fenced, progress) -> {
				});
				return null;
			});
			long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
			while (followerStatus.getLastLeaderProgress().isEmpty() && System.nanoTime() < deadline) {
				Thread.sleep(100);
			}
			assertThat(followerStatus.getState()).isEqualTo(GateStatus.State.WAITING);
			assertThat(followerStatus.getLastLeaderProgress()).hasValueSatisfying((progress) -> {
				assertThat(progress.host()).isEqualTo("lead");
				assertThat(progress.changeset()).isEqualTo(second);
				// written by the database's clock in UTC, read as UTC in a JVM that is not
				assertThat(Duration.between(progress.acquiredAt(), java.time.Instant.now()).abs())
					.isLessThan(Duration.ofMinutes(1));
			});
			releaseLeader.countDown();
			leader.get(10, TimeUnit.SECONDS);
			follower.get(10, TimeUnit.SECONDS);
		}
		finally {
			executor.shutdownNow();
		}
		assertThat(followerStatus.getState()).isEqualTo(GateStatus.State.UP_TO_DATE);
		assertThat(query("SELECT COUNT(*) FROM SCHEMAGATE_LEADER")).isZero();
		assertThat(query("SELECT COUNT(*) FROM SCHEMAGATE_HISTORY WHERE HOST = 'lead' AND APP_VERSION = '2.0' "
				+ "AND OUTCOME = 'APPLIED' AND ABS(TIMESTAMPDIFF(SECOND, STARTED_AT, UTC_TIMESTAMP())) < 60"))
			.isEqualTo(2);
		assertThat(new MigrationHistory("SCHEMAGATE_").recent(pool(1), 5)).hasSize(2)
			.allSatisfy((entry) -> assertThat(Duration.between(entry.startedAt(), java.time.Instant.now()).abs())
				.isLessThan(Duration.ofMinutes(1)));
	}

	@Test
	void failedChangesetIsRecordedInTheHistoryAndTheStatus() throws Exception {
		GateStatus status = new GateStatus("test");
		ChangesetRun broken = new ChangesetRun(1, 1, "001-broken", "bob", "db/changelog.xml");
		assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> gate(SETTINGS, status)
			.run((fenced, progress) -> {
				progress.started(broken);
				IllegalStateException failure = new IllegalStateException("Table 'nope' doesn't exist");
				progress.failed(broken, failure);
				throw failure;
			}));
		assertThat(status.getState()).isEqualTo(GateStatus.State.FAILED);
		assertThat(query("SELECT COUNT(*) FROM SCHEMAGATE_HISTORY WHERE CHANGESET_ID = '001-broken' "
				+ "AND OUTCOME = 'FAILED' AND ERROR LIKE '%nope%'")).isOne();
		assertThat(query("SELECT COUNT(*) FROM INT_LOCK")).isZero();
	}

	@Test
	void leaseIsRenewedWhileMigrationOutlastsItsTimeToLive() throws Exception {
		GateSettings shortLease = settings(Duration.ofSeconds(2), Duration.ofSeconds(30));
		List<Long> liveRows = new ArrayList<>();
		gate(shortLease).run((fenced, progress) -> {
			for (int i = 0; i < 20; i++) {
				Thread.sleep(300);
				liveRows.add(query("SELECT COUNT(*) FROM INT_LOCK WHERE EXPIRED_AFTER > UTC_TIMESTAMP(6)"));
			}
		});
		assertThat(liveRows).hasSize(20).containsOnly(1L);
	}

	@Test
	void rowLeftByADeadLeaderIsTakenOverAtOnce() throws Exception {
		gate(SETTINGS).run((fenced, progress) -> {
		});
		execute("INSERT INTO INT_LOCK (REGION, LOCK_KEY, CLIENT_ID, CREATED_DATE, EXPIRED_AFTER) VALUES ('schemagate', '"
				+ UUIDConverter.getUUID("test") + "', 'dead0000-0000-0000-0000-000000000000', UTC_TIMESTAMP(6), "
				+ "UTC_TIMESTAMP(6) + INTERVAL 1 HOUR)");
		AtomicInteger migrations = new AtomicInteger();
		long started = System.nanoTime();
		gate(SETTINGS).run((fenced, progress) -> migrations.incrementAndGet());
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
		assertThat(migrations).hasValue(1);
		assertThat(query("SELECT COUNT(*) FROM INT_LOCK")).isZero();
	}

	@Test
	void waitGivesUpAfterTimeoutNamingTheHolder() throws Exception {
		GateSettings impatient = settings(Duration.ofSeconds(10), Duration.ofSeconds(2));
		CountDownLatch leaderMigrating = new CountDownLatch(1);
		CountDownLatch releaseLeader = new CountDownLatch(1);
		ExecutorService executor = Executors.newSingleThreadExecutor();
		try {
			Future<?> leader = executor.submit(() -> {
				gate(SETTINGS).run((fenced, progress) -> {
					leaderMigrating.countDown();
					releaseLeader.await();
				});
				return null;
			});
			assertThat(leaderMigrating.await(10, TimeUnit.SECONDS)).isTrue();
			AtomicInteger migrations = new AtomicInteger();
			assertThatExceptionOfType(LockWaitTimeoutException.class)
				.isThrownBy(() -> gate(impatient).run((fenced, progress) -> migrations.incrementAndGet()))
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
	void lostConnectionRepeatsTheWholePass() throws Exception {
		AtomicInteger attempts = new AtomicInteger();
		List<Long> fencedSessions = new ArrayList<>();
		gate(SETTINGS).run((fenced, progress) -> {
			try (Connection connection = fenced.getConnection()) {
				long session = queryLong(connection, "SELECT CONNECTION_ID()");
				fencedSessions.add(session);
				if (attempts.incrementAndGet() == 1) {
					execute("KILL CONNECTION " + session);
					queryLong(connection, "SELECT 1");
				}
			}
		});
		assertThat(attempts).hasValue(2);
		assertThat(fencedSessions).doesNotHaveDuplicates();
		assertThat(query("SELECT COUNT(*) FROM INT_LOCK")).isZero();
	}

	@Test
	void wrongCredentialsFailAtOnce() {
		HikariDataSource wrong = pool(1);
		wrong.setPassword("not-the-password");
		long started = System.nanoTime();
		assertThatExceptionOfType(Exception.class)
			.isThrownBy(() -> new MigrationGate(wrong, SETTINGS, Instance.current(null), NO_LISTENER)
				.run((fenced, progress) -> {
				}))
			.withStackTraceContaining("Access denied")
			.isInstanceOfSatisfying(ConnectionRejectedException.class,
					(ex) -> assertThat(ex.isDatabaseMissing()).isFalse());
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
	}

	@Test
	void aDatabaseThatDoesNotExistFailsAtOnceSayingSo() {
		HikariDataSource nowhere = pool(1);
		nowhere.setJdbcUrl(this.mariadb.serverUrl() + "no_such_database");
		long started = System.nanoTime();
		assertThatExceptionOfType(ConnectionRejectedException.class)
			.isThrownBy(() -> new MigrationGate(nowhere, SETTINGS, Instance.current(null), NO_LISTENER)
				.run((fenced, progress) -> {
				}))
			.satisfies((ex) -> assertThat(ex.isDatabaseMissing()).isTrue());
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
	}

	@Test
	void tablesAreCreatedWithTheConfiguredPrefixInAnotherDatabase() throws Exception {
		String other = this.mariadb.createDatabase();
		String schema = other.substring(other.lastIndexOf('/') + 1);
		GateSettings prefixed = new GateSettings(schema + ".GATE_", schema + ".SG_", "schemagate", "test",
				TIME_TO_LIVE, Duration.ofSeconds(30), Duration.ofSeconds(20), Duration.ofMillis(100),
				Duration.ofSeconds(1));
		List<Long> rows = new ArrayList<>();
		gate(prefixed).run((fenced, progress) -> rows.add(query("SELECT COUNT(*) FROM " + schema + ".GATE_LOCK")));
		assertThat(rows).containsExactly(1L);
		assertThat(query("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" + schema + "'"))
			.isEqualTo(3);
		assertThat(query("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")).isZero();
	}

	@Test
	void frozenLeaderIsEndedAfterTheTimeToLiveAndTakenOver() throws Exception {
		GateStatus status = new GateStatus("test");
		try (Connection frozen = holdFenceWithoutRenewing(this.mariadb.connect(this.url))) {
			AtomicInteger migrations = new AtomicInteger();
			long started = System.nanoTime();
			gate(settings(TIME_TO_LIVE, Duration.ofSeconds(30)), status)
				.run((fenced, progress) -> migrations.incrementAndGet());
			Duration takeover = Duration.ofNanos(System.nanoTime() - started);
			assertThat(migrations).hasValue(1);
			assertThat(takeover).isGreaterThanOrEqualTo(TIME_TO_LIVE).isLessThan(TIME_TO_LIVE.plusSeconds(5));
			assertThat(frozen.isValid(2)).isFalse();
			assertThat(status.getTakeover()).isPresent();
		}
	}

	@Test
	void frozenLeaderThatMayNotBeEndedIsWaitedForSayingWhy() throws Exception {
		String suffix = Long.toString(ProcessHandle.current().pid()) + System.nanoTime() % 100000;
		String schema = this.url.substring(this.url.lastIndexOf('/') + 1);
		String frozenUser = "sg_frozen_" + suffix;
		String waiterUser = "sg_waiter_" + suffix;
		for (String user : List.of(frozenUser, waiterUser)) {
			execute("CREATE USER '" + user + "'@'%' IDENTIFIED BY 'secret'",
					"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON " + schema + ".* TO '" + user + "'@'%'");
		}
		try {
			try (Connection frozen = holdFenceWithoutRenewing(java.sql.DriverManager.getConnection(this.url,
					frozenUser, "secret"))) {
				HikariDataSource waiterPool = pool(2);
				waiterPool.setUsername(waiterUser);
				waiterPool.setPassword("secret");
				GateStatus status = new GateStatus("test");
				assertThatExceptionOfType(LockWaitTimeoutException.class)
					.isThrownBy(() -> gate(settings(TIME_TO_LIVE, Duration.ofSeconds(4)), waiterPool, status)
						.run((fenced, progress) -> {
						}));
				assertThat(frozen.isValid(2)).isTrue();
				assertThat(status.getTakeover()).hasValueSatisfying(
						(note) -> assertThat(note).contains("may not end"));
			}
		}
		finally {
			execute("DROP USER '" + frozenUser + "'@'%'", "DROP USER '" + waiterUser + "'@'%'");
		}
	}

	@Test
	void aFenceWhoseReleaseFailsOnALiveSessionDoesNotGoBackToThePoolHeld() throws Exception {
		HikariDataSource pool = pool(2);
		// the session lives on, but the statement that lets the lock go fails
		DataSource failingRelease = new DelegatingDataSource(pool) {
			@Override
			public Connection getConnection() throws SQLException {
				Connection connection = super.getConnection();
				return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(),
						new Class<?>[] { Connection.class }, (proxy, method, arguments) -> {
							if (method.getName().equals("prepareStatement")
									&& String.valueOf(arguments[0]).contains("RELEASE_LOCK")) {
								throw new SQLException("release refused by the test");
							}
							try {
								return method.invoke(connection, arguments);
							}
							catch (InvocationTargetException ex) {
								throw ex.getCause();
							}
						});
			}
		};
		new MigrationGate(failingRelease, SETTINGS, Instance.current(null), NO_LISTENER).run((fenced, progress) -> {
		});
		try (Connection other = this.mariadb.connect(this.url)) {
			assertThat(new MariaDbGateDatabase().fenceHolder(other, lockId())).isEmpty();
		}
	}

	@Test
	void aUserWhoMayNotReadTheServersLockWaitsIsNotAskedAgainEverySecond() throws Exception {
		String user = "sg_noprocess_" + ProcessHandle.current().pid() + System.nanoTime() % 100000;
		String schema = this.url.substring(this.url.lastIndexOf('/') + 1);
		// every privilege on the database, not PROCESS, which InnoDB's lock tables need
		execute("CREATE USER '" + user + "'@'%' IDENTIFIED BY 'secret'",
				"GRANT ALL PRIVILEGES ON " + schema + ".* TO '" + user + "'@'%'");
		try (HikariDataSource restricted = pool(1)) {
			restricted.setUsername(user);
			restricted.setPassword("secret");
			AtomicInteger looks = new AtomicInteger();
			DelegatingDataSource counted = new DelegatingDataSource(restricted) {
				@Override
				public Connection getConnection() throws SQLException {
					looks.incrementAndGet();
					return super.getConnection();
				}
			};
			// a look every 100ms while it may
			try (BlockerWatch watch = BlockerWatch.start(new MariaDbGateDatabase(), counted, 1,
					Duration.ofMillis(300))) {
				Thread.sleep(1500);
				assertThat(watch.lastSeen()).isEmpty();
			}
			assertThat(looks).hasValue(1);
		}
		finally {
			execute("DROP USER '" + user + "'@'%'");
		}
	}

	// a session that takes the fence and the lease row, then never renews: a frozen leader
	private Connection holdFenceWithoutRenewing(Connection connection) throws SQLException {
		GateDatabase database = new MariaDbGateDatabase();
		execute(database.createTable(GateDatabase.GateTable.LOCK, "INT_LOCK"));
		assertThat(database.poll(connection, new Poll(lockId(), "INT_LOCK", true, "schemagate",
				UUIDConverter.getUUID("test").toString(), "SCHEMAGATE_LEADER", false, "test", false)).acquired())
			.isTrue();
		execute("INSERT INTO INT_LOCK (REGION, LOCK_KEY, CLIENT_ID, CREATED_DATE, EXPIRED_AFTER) VALUES ('schemagate', '"
				+ UUIDConverter.getUUID("test") + "', 'f0f0f0f0-0000-0000-0000-000000000000', UTC_TIMESTAMP(6), "
				+ "UTC_TIMESTAMP(6) + INTERVAL 1 SECOND)");
		return connection;
	}

	private static long lockId() {
		return Fence.lockId("schemagate/schemagate/test");
	}

	private static GateSettings settings(Duration timeToLive, Duration waitTimeout) {
		return new GateSettings("INT_", "SCHEMAGATE_", "schemagate", "test", timeToLive, waitTimeout,
				Duration.ofSeconds(20), Duration.ofMillis(100), Duration.ofSeconds(1));
	}

	private MigrationGate gate(GateSettings settings) {
		return gate(settings, NO_LISTENER);
	}

	private MigrationGate gate(GateSettings settings, GateListener listener) {
		return gate(settings, pool(2), listener);
	}

	private MigrationGate gate(GateSettings settings, HikariDataSource pool, GateListener listener) {
		return new MigrationGate(pool, settings, Instance.current(null), listener);
	}

	private HikariDataSource pool(int size) {
		HikariDataSource pool = this.mariadb.pool(this.url, size);
		synchronized (this.pools) {
			this.pools.add(pool);
		}
		return pool;
	}

	private long query(String sql) throws SQLException {
		return this.mariadb.queryLong(this.url, sql);
	}

	private void execute(String... statements) throws SQLException {
		this.mariadb.executeIn(this.url, statements);
	}

	private static long queryLong(Connection connection, String sql) throws SQLException {
		try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
			result.next();
			return result.getLong(1);
		}
	}

}
