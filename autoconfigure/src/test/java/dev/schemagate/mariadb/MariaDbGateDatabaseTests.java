package dev.schemagate.mariadb;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.schemagate.database.Blocker;
import dev.schemagate.database.GateDatabase;
import dev.schemagate.database.GateDatabase.GateTable;
import dev.schemagate.database.GateDatabases;
import dev.schemagate.database.GateDatabase.Poll;
import dev.schemagate.database.GateDatabase.Sighting;
import dev.schemagate.database.SharedSessionException;
import dev.schemagate.status.LockHolder;
import dev.schemagate.test.TestMariaDb;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link MariaDbGateDatabase}: what the gate's protocol relies on its database
 * for, on real sessions of a real MariaDB, as {@code PostgresGateDatabaseTests} has it for
 * PostgreSQL.
 */
class MariaDbGateDatabaseTests {

	private static final long LOCK_ID = 0x5c4e3a6a7e000001L;

	private final TestMariaDb mariadb = TestMariaDb.get();

	private final GateDatabase database = new MariaDbGateDatabase();

	private String url;

	@BeforeEach
	void createDatabase() {
		this.url = this.mariadb.createDatabase();
	}

	@Test
	void aPollTakesAFreeFenceAndAnotherSessionsPollSeesItsHolder() throws SQLException {
		try (Connection leader = this.mariadb.connect(this.url); Connection waiter = this.mariadb.connect(this.url)) {
			this.database.prepareSession(leader, "leader-host pid 1", Duration.ofSeconds(10));
			assertThat(this.database.poll(leader, poll(false)).acquired()).isTrue();
			assertThat(this.database.holdsFence(leader, LOCK_ID)).isTrue();
			Sighting seen = this.database.poll(waiter, poll(false));
			assertThat(seen.acquired()).isFalse();
			assertThat(seen.holder()).map(LockHolder::backendPid).contains(connectionId(leader));
			assertThat(this.database.holdsFence(waiter, LOCK_ID)).isFalse();
			assertThat(this.database.fenceHeldElsewhere(waiter, LOCK_ID)).isTrue();
			assertThat(this.database.fenceHeldElsewhere(leader, LOCK_ID)).isFalse();
			assertThat(this.database.fenceHolder(waiter, LOCK_ID)).isEqualTo(seen.holder());
		}
	}

	@Test
	void aMariaDbServerIsToldFromMySqlByItsVersionWhereMySqlsDriverNamesItMySql() throws SQLException {
		try (Connection session = this.mariadb.connect(this.url)) {
			// whichever driver the tests run with: MariaDB's names the product, MySQL's only the version
			assertThat(GateDatabases.of(session)).isInstanceOf(MariaDbGateDatabase.class);
		}
		assertThat(this.database.supports("MySQL", "11.4.5-MariaDB")).isTrue();
		assertThat(this.database.supports("MySQL", "8.0.36")).isFalse();
		assertThat(this.database.supports("PostgreSQL", "17.6")).isFalse();
		// a MySQL server is MySQL's, whichever driver
		GateDatabase mysql = new MySqlGateDatabase();
		assertThat(mysql.supports("MySQL", "8.0.36")).isTrue();
		assertThat(mysql.supports("MySQL", "11.4.5-MariaDB")).isFalse();
		assertThat(mysql.supports("MariaDB", "11.4.5-MariaDB")).isFalse();
	}

	@Test
	void theFenceOfOneDatabaseLeavesTheSameFenceOfAnotherDatabaseOnTheServerFree() throws SQLException {
		String other = this.mariadb.createDatabase();
		try (Connection here = this.mariadb.connect(this.url); Connection there = this.mariadb.connect(other)) {
			assertThat(this.database.poll(here, poll(false)).acquired()).isTrue();
			assertThat(this.database.poll(there, poll(false)).acquired()).isTrue();
		}
	}

	@Test
	void aPollOnASessionThatAlreadyHoldsTheFenceTellsASharedSession() throws SQLException {
		try (Connection session = this.mariadb.connect(this.url)) {
			assertThat(this.database.poll(session, poll(false)).acquired()).isTrue();
			assertThatExceptionOfType(SharedSessionException.class)
				.isThrownBy(() -> this.database.poll(session, poll(false)));
		}
	}

	@Test
	void aReleaseWakesEveryWaiterInTurnAndLeavesTheFenceFree() throws Exception {
		try (Connection leader = this.mariadb.connect(this.url); Connection first = this.mariadb.connect(this.url);
				Connection second = this.mariadb.connect(this.url)) {
			assertThat(this.database.poll(leader, poll(false)).acquired()).isTrue();
			assertThat(this.database.awaitRelease(first, LOCK_ID, Duration.ofMillis(200))).isFalse();
			CompletableFuture<Boolean> firstWoken = awaitRelease(first);
			CompletableFuture<Boolean> secondWoken = awaitRelease(second);
			Thread.sleep(300);
			assertThat(firstWoken).isNotDone();
			this.database.releaseFence(leader, LOCK_ID);
			assertThat(firstWoken.get(5, TimeUnit.SECONDS)).isTrue();
			assertThat(secondWoken.get(5, TimeUnit.SECONDS)).isTrue();
			assertThat(this.database.fenceHolder(leader, LOCK_ID)).isEmpty();
			assertThat(this.database.poll(first, poll(false)).acquired()).isTrue();
		}
	}

	@Test
	void endingTheHolderEndsItsSessionAndFreesTheFence() throws Exception {
		try (Connection frozen = this.mariadb.connect(this.url); Connection waiter = this.mariadb.connect(this.url)) {
			assertThat(this.database.poll(frozen, poll(false)).acquired()).isTrue();
			LockHolder holder = this.database.fenceHolder(waiter, LOCK_ID).orElseThrow();
			assertThat(this.database.endHolder(waiter, LOCK_ID, holder)).isTrue();
			assertThat(frozen.isValid(2)).isFalse();
			// a killed session may take a moment to let go of its locks
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
			while (this.database.fenceHolder(waiter, LOCK_ID).isPresent() && System.nanoTime() < deadline) {
				Thread.sleep(20);
			}
			assertThat(this.database.fenceHolder(waiter, LOCK_ID)).isEmpty();
			// the session seen is gone: ending it again ends nothing
			assertThat(this.database.endHolder(waiter, LOCK_ID, holder)).isFalse();
		}
	}

	@Test
	void limitingWaitsNamesTheSessionThatOthersSeeBlocked() throws Exception {
		try (Connection holder = this.mariadb.connect(this.url); Connection blocked = this.mariadb.connect(this.url);
				Connection watcher = this.mariadb.connect(this.url)) {
			execute(holder, "CREATE TABLE t (id int PRIMARY KEY) ENGINE=InnoDB", "INSERT INTO t VALUES (1)");
			long blockedId = this.database.limitWaits(blocked, Duration.ofSeconds(20), Duration.ZERO);
			assertThat(blockedId).isEqualTo(connectionId(blocked));
			holder.setAutoCommit(false);
			execute(holder, "UPDATE t SET id = 1 WHERE id = 1");
			CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
				try {
					execute(blocked, "UPDATE t SET id = 1 WHERE id = 1");
				}
				catch (SQLException ex) {
					throw new IllegalStateException(ex);
				}
			});
			List<Blocker> blockers = List.of();
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
			while (blockers.isEmpty() && System.nanoTime() < deadline) {
				Thread.sleep(20);
				blockers = this.database.blockers(watcher, blockedId);
			}
			assertThat(blockers).singleElement()
				.satisfies((blocker) -> assertThat(blocker.pid()).isEqualTo(connectionId(holder)));
			holder.rollback();
			waiting.get(10, TimeUnit.SECONDS);
		}
	}

	@Test
	void everyTableOfTheGateIsCreatedOnceAndThenExists() throws SQLException {
		try (Connection session = this.mariadb.connect(this.url)) {
			for (GateTable table : GateTable.values()) {
				String name = "SG_" + table.name();
				assertThat(this.database.tableExists(session, name)).isFalse();
				execute(session, this.database.createTable(table, name));
				execute(session, this.database.createTable(table, name));
				assertThat(this.database.tableExists(session, name)).isTrue();
			}
			assertThat(this.database.hasColumn(session, "SG_INSTANCE", "CHANGESETS")).isTrue();
			execute(session, "ALTER TABLE SG_INSTANCE DROP COLUMN CHANGESETS");
			assertThat(this.database.hasColumn(session, "SG_INSTANCE", "CHANGESETS")).isFalse();
			execute(session, this.database.addColumn(GateTable.INSTANCE, "SG_INSTANCE", "CHANGESETS"));
			assertThat(this.database.hasColumn(session, "SG_INSTANCE", "CHANGESETS")).isTrue();
		}
	}

	@Test
	void aPollReadsTheLeadersProgressOnceItsTablesExist() throws SQLException {
		try (Connection leader = this.mariadb.connect(this.url); Connection waiter = this.mariadb.connect(this.url)) {
			assertThat(this.database.poll(leader, poll(false)).acquired()).isTrue();
			Sighting before = this.database.poll(waiter, poll(true));
			assertThat(before.leaseTableExists()).isFalse();
			assertThat(before.leaderTableExists()).isFalse();
			execute(leader, this.database.createTable(GateTable.LOCK, "SG_LOCK"),
					this.database.createTable(GateTable.LEADER, "SG_LEADER"),
					"INSERT INTO SG_LEADER (LOCK_KEY, INSTANCE_ID, HOST, PID, ACQUIRED_AT, CHANGESET_INDEX, "
							+ "CHANGESET_COUNT, CHANGESET_ID, CHANGESET_AUTHOR, CHANGELOG, CHANGESET_STARTED_AT) VALUES "
							+ "('key', '11111111-1111-1111-1111-111111111111', 'leader-host', 7, UTC_TIMESTAMP(6), 2, 3, "
							+ "'2-orders', 'test', 'db/changelog.xml', UTC_TIMESTAMP(6))",
					"INSERT INTO SG_LOCK (LOCK_KEY, REGION, CLIENT_ID, CREATED_DATE, EXPIRED_AFTER) VALUES "
							+ "('lease', 'region', 'client', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))");
			Sighting tablesSeen = this.database.poll(waiter, poll(true));
			assertThat(tablesSeen.leaseTableExists()).isTrue();
			assertThat(tablesSeen.leaderTableExists()).isTrue();
			Poll known = new Poll(LOCK_ID, "SG_LOCK", true, "region", "lease", "SG_LEADER", true, "key", true);
			Sighting after = this.database.poll(waiter, known);
			assertThat(after.progress()).hasValueSatisfying((progress) -> {
				assertThat(progress.host()).isEqualTo("leader-host");
				assertThat(progress.changeset().id()).isEqualTo("2-orders");
				assertThat(progress.changeset().index()).isEqualTo(2);
			});
			// a renewal moves the row's expiry, which is what the lease's version is
			execute(leader, "UPDATE SG_LOCK SET EXPIRED_AFTER = EXPIRED_AFTER + INTERVAL 1 SECOND");
			assertThat(this.database.poll(waiter, known).leaseVersion()).isNotNull()
				.isNotEqualTo(after.leaseVersion());
		}
	}

	private CompletableFuture<Boolean> awaitRelease(Connection waiter) {
		return CompletableFuture.supplyAsync(() -> {
			try {
				return this.database.awaitRelease(waiter, LOCK_ID, Duration.ofSeconds(10));
			}
			catch (SQLException | InterruptedException ex) {
				throw new IllegalStateException(ex);
			}
		});
	}

	private static long connectionId(Connection session) throws SQLException {
		try (Statement statement = session.createStatement();
				var result = statement.executeQuery("SELECT CONNECTION_ID()")) {
			result.next();
			return result.getLong(1);
		}
	}

	private static Poll poll(boolean withProgress) {
		return new Poll(LOCK_ID, "SG_LOCK", false, "region", "lease", "SG_LEADER", false, "key", withProgress);
	}

	private static void execute(Connection session, String... statements) throws SQLException {
		try (Statement statement = session.createStatement()) {
			for (String sql : statements) {
				statement.execute(sql);
			}
		}
	}

}
