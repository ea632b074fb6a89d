package dev.schemagate.postgresql;

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
import dev.schemagate.database.GateDatabase.Poll;
import dev.schemagate.database.GateDatabase.Sighting;
import dev.schemagate.database.GateDatabases;
import dev.schemagate.database.SharedSessionException;
import dev.schemagate.status.LockHolder;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link PostgresGateDatabase}: what the gate's protocol relies on its database
 * for, on real sessions of a real PostgreSQL. A second database's implementation passes the
 * same tests.
 */
class PostgresGateDatabaseTests {

	private static final long LOCK_ID = 0x5c4e3a6a7e000001L;

	private final TestPostgres postgres = TestPostgres.get();

	private final GateDatabase database = new PostgresGateDatabase();

	private String url;

	@BeforeEach
	void createDatabase() {
		this.url = this.postgres.createDatabase();
	}

	@Test
	void isTheImplementationFoundForAPostgresqlSession() throws SQLException {
		try (Connection session = this.postgres.connect(this.url)) {
			assertThat(GateDatabases.of(session)).isInstanceOf(PostgresGateDatabase.class);
		}
	}

	@Test
	void aPollTakesAFreeFenceAndAnotherSessionsPollSeesItsHolderByName() throws SQLException {
		try (Connection leader = this.postgres.connect(this.url); Connection waiter = this.postgres.connect(this.url)) {
			this.database.prepareSession(leader, "leader-host pid 1", Duration.ofSeconds(10));
			assertThat(this.database.poll(leader, poll(false)).acquired()).isTrue();
			assertThat(this.database.holdsFence(leader, LOCK_ID)).isTrue();
			Sighting seen = this.database.poll(waiter, poll(false));
			assertThat(seen.acquired()).isFalse();
			assertThat(seen.holder()).map(LockHolder::applicationName).contains("leader-host pid 1");
			assertThat(this.database.holdsFence(waiter, LOCK_ID)).isFalse();
			assertThat(this.database.fenceHeldElsewhere(waiter, LOCK_ID)).isTrue();
			assertThat(this.database.fenceHeldElsewhere(leader, LOCK_ID)).isFalse();
			assertThat(this.database.fenceHolder(waiter, LOCK_ID)).isEqualTo(seen.holder());
		}
	}

	@Test
	void aPollOnASessionThatAlreadyHoldsTheFenceTellsASharedSession() throws SQLException {
		try (Connection session = this.postgres.connect(this.url)) {
			assertThat(this.database.poll(session, poll(false)).acquired()).isTrue();
			assertThatExceptionOfType(SharedSessionException.class)
				.isThrownBy(() -> this.database.poll(session, poll(false)));
		}
	}

	@Test
	void aReleaseWakesAListeningWaiterAndLeavesTheFenceFree() throws Exception {
		try (Connection leader = this.postgres.connect(this.url); Connection waiter = this.postgres.connect(this.url)) {
			assertThat(this.database.poll(leader, poll(false)).acquired()).isTrue();
			this.database.listenForRelease(waiter, LOCK_ID);
			assertThat(this.database.awaitRelease(waiter, LOCK_ID, Duration.ofMillis(200))).isFalse();
			this.database.releaseFence(leader, LOCK_ID);
			assertThat(this.database.awaitRelease(waiter, LOCK_ID, Duration.ofSeconds(5))).isTrue();
			this.database.stopListening(waiter, LOCK_ID);
			assertThat(this.database.fenceHolder(waiter, LOCK_ID)).isEmpty();
			assertThat(this.database.poll(waiter, poll(false)).acquired()).isTrue();
		}
	}

	@Test
	void endingTheHolderEndsItsSessionAndFreesTheFence() throws SQLException {
		try (Connection frozen = this.postgres.connect(this.url); Connection waiter = this.postgres.connect(this.url)) {
			assertThat(this.database.poll(frozen, poll(false)).acquired()).isTrue();
			LockHolder holder = this.database.fenceHolder(waiter, LOCK_ID).orElseThrow();
			assertThat(this.database.endHolder(waiter, LOCK_ID, holder)).isTrue();
			assertThat(frozen.isValid(2)).isFalse();
			assertThat(this.database.fenceHolder(waiter, LOCK_ID)).isEmpty();
			// the session seen is gone: ending it again ends nothing
			assertThat(this.database.endHolder(waiter, LOCK_ID, holder)).isFalse();
		}
	}

	@Test
	void limitingWaitsNamesTheSessionThatOthersSeeBlocked() throws Exception {
		try (Connection holder = this.postgres.connect(this.url); Connection blocked = this.postgres.connect(this.url);
				Connection watcher = this.postgres.connect(this.url)) {
			execute(holder, "CREATE TABLE t (id int)");
			long blockedId = this.database.limitWaits(blocked, Duration.ofSeconds(20), Duration.ZERO);
			holder.setAutoCommit(false);
			execute(holder, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
			CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
				try {
					execute(blocked, "SELECT count(*) FROM t");
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
				.satisfies((blocker) -> assertThat(blocker.state()).isEqualTo("idle in transaction"));
			holder.rollback();
			waiting.get(10, TimeUnit.SECONDS);
		}
	}

	@Test
	void everyTableOfTheGateIsCreatedOnceAndThenExists() throws SQLException {
		try (Connection session = this.postgres.connect(this.url)) {
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
		try (Connection leader = this.postgres.connect(this.url); Connection waiter = this.postgres.connect(this.url)) {
			assertThat(this.database.poll(leader, poll(false)).acquired()).isTrue();
			Sighting before = this.database.poll(waiter, poll(true));
			assertThat(before.leaseTableExists()).isFalse();
			assertThat(before.leaderTableExists()).isFalse();
			execute(leader, this.database.createTable(GateTable.LOCK, "SG_LOCK"),
					this.database.createTable(GateTable.LEADER, "SG_LEADER"),
					"INSERT INTO SG_LEADER (LOCK_KEY, INSTANCE_ID, HOST, PID, ACQUIRED_AT, CHANGESET_INDEX, "
							+ "CHANGESET_COUNT, CHANGESET_ID, CHANGESET_AUTHOR, CHANGELOG, CHANGESET_STARTED_AT) VALUES "
							+ "('key', '11111111-1111-1111-1111-111111111111', 'leader-host', 7, now(), 2, 3, "
							+ "'2-orders', 'test', 'db/changelog.xml', now())");
			Sighting tablesSeen = this.database.poll(waiter, poll(true));
			assertThat(tablesSeen.leaseTableExists()).isTrue();
			assertThat(tablesSeen.leaderTableExists()).isTrue();
			Sighting after = this.database.poll(waiter, new Poll(LOCK_ID, "SG_LOCK", true, "region", "lease", "SG_LEADER",
					true, "key", true));
			assertThat(after.progress()).hasValueSatisfying((progress) -> {
				assertThat(progress.host()).isEqualTo("leader-host");
				assertThat(progress.changeset().id()).isEqualTo("2-orders");
				assertThat(progress.changeset().index()).isEqualTo(2);
			});
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
