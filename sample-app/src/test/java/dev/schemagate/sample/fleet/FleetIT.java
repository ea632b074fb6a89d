package dev.schemagate.sample.fleet;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.jayway.jsonpath.JsonPath;
import dev.schemagate.sample.fleet.Fleet.Member;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fleets of sample-app JVMs started at once on one database, with their leader killed,
 * paused or cut off from a restarting database. Exactly-once is proven by counting the
 * rows that the sample's non-idempotent changesets insert.
 */
class FleetIT {

	/** How long every surviving instance of a fleet of four may take to be ready. */
	private static final Duration READY_BOUND = Duration.ofMinutes(3);

	private static final int ROUNDS = Integer.getInteger("fleet.rounds", 5);

	private final TestPostgres postgres = TestPostgres.get();

	@Test
	void freshFleetsOfFourMigrateExactlyOnce() throws Exception {
		for (int round = 1; round <= ROUNDS; round++) {
			String url = this.postgres.createDatabase();
			try (Fleet fleet = Fleet.start("fresh-" + round, 4, url, Map.of())) {
				Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
				assertThat(ready).hasSize(4);
				assertMigratedExactlyOnce(url);
				report("fresh start of 4, round " + round + "/" + ROUNDS, url, ready, null);
			}
		}
	}

	@Test
	void twelveInstancesStartingAtOnceMigrateExactlyOnce() throws Exception {
		String url = this.postgres.createDatabase();
		try (Fleet fleet = Fleet.start("fresh-12", 12, url, Map.of())) {
			Map<Member, Duration> ready = fleet.awaitReady(Duration.ofMinutes(6));
			assertThat(ready).hasSize(12);
			assertMigratedExactlyOnce(url);
			report("fresh start of 12", url, ready, null);
		}
	}

	@Test
	void leaderKilledMidChangesetIsTakenOverAtOnce() throws Exception {
		String url = this.postgres.createDatabase();
		try (Fleet fleet = Fleet.start("leader-killed", 4, url, Map.of("spring.liquibase.parameters.slowSeconds", "15"))) {
			Member leader = awaitLeaderInSlowChangeset(fleet, url);
			long killedAt = System.nanoTime();
			Fleet.signal(leader, "KILL");
			Member next = awaitFenceHolderOtherThan(fleet, url, leader, Duration.ofSeconds(30));
			Duration takeover = Duration.ofNanos(System.nanoTime() - killedAt);
			assertThat(next).isNotEqualTo(leader);
			// the default time-to-live is 10s: the takeover must not wait for it to run out
			assertThat(takeover).isLessThan(Duration.ofSeconds(10));
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
			assertThat(ready).hasSize(3).doesNotContainKey(leader);
			assertMigratedExactlyOnce(url);
			report("leader SIGKILLed mid-changeset", url, ready, "takeover " + takeover.toMillis() + "ms");
		}
	}

	@Test
	void pausedLeaderKeepsTheLockAndNoChangesetRunsTwice() throws Exception {
		String url = this.postgres.createDatabase();
		Map<String, String> properties = Map.of("spring.liquibase.parameters.slowSeconds", "6",
				"schemagate.lock.time-to-live", "2s");
		try (Fleet fleet = Fleet.start("leader-paused", 4, url, properties)) {
			Member leader = awaitLeaderInSlowChangeset(fleet, url);
			Fleet.signal(leader, "STOP");
			List<String> holdersWhilePaused = new ArrayList<>();
			for (int i = 0; i < 16; i++) {
				// 8s paused: four times the time-to-live, and past the changeset's own end
				Thread.sleep(500);
				holdersWhilePaused.add(fenceHolder(url).orElse("nobody"));
				assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM migration_audit WHERE note = 'slow'")).isZero();
				assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog WHERE id = '003-slow-backfill'"))
					.isZero();
			}
			assertThat(holdersWhilePaused).allSatisfy(
					(holder) -> assertThat(fleet.byApplicationName(holder)).contains(leader));
			Fleet.signal(leader, "CONT");
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
			assertThat(ready).hasSize(4);
			assertMigratedExactlyOnce(url);
			report("leader SIGSTOPped 8s (TTL 2s) mid-changeset", url, ready, null);
		}
	}

	@Test
	void postgresRestartedMidChangesetIsRetried() throws Exception {
		String url = this.postgres.createDatabase();
		try (Fleet fleet = Fleet.start("postgres-restarted", 4, url,
				Map.of("spring.liquibase.parameters.slowSeconds", "8"))) {
			awaitLeaderInSlowChangeset(fleet, url);
			long restartedAt = System.nanoTime();
			this.postgres.restart();
			Duration restart = Duration.ofNanos(System.nanoTime() - restartedAt);
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
			assertThat(ready).hasSize(4);
			assertMigratedExactlyOnce(url);
			report("PostgreSQL restarted mid-changeset", url, ready, "restart took " + restart.toMillis() + "ms");
		}
	}

	@Test
	void changelogLockLeftByACrashedRunDoesNotBlockTheFleet() throws Exception {
		String url = this.postgres.createDatabase();
		this.postgres.executeIn(url, "CREATE TABLE databasechangeloglock (ID INT PRIMARY KEY, LOCKED BOOLEAN NOT NULL, "
				+ "LOCKGRANTED TIMESTAMP, LOCKEDBY VARCHAR(255))",
				"INSERT INTO databasechangeloglock VALUES (1, TRUE, now() - interval '1 minute', 'crashed (10.0.0.7)')");
		try (Fleet fleet = Fleet.start("stale-changelog-lock", 4, url, Map.of())) {
			// Liquibase alone would wait five minutes for this lock and then fail
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
			assertThat(ready).hasSize(4);
			assertMigratedExactlyOnce(url);
			report("stale DATABASECHANGELOGLOCK row", url, ready, null);
		}
	}

	@Test
	void everyoneSeesWhichChangesetTheLeaderRunsDuringARollingDeploy() throws Exception {
		String url = this.postgres.createDatabase();
		try (Fleet v1 = Fleet.start("rolling-v1", 1, url, Map.of())) {
			Member running = v1.awaitReady(READY_BOUND).keySet().iterator().next();
			Map<String, String> v2Properties = Map.of("spring.liquibase.contexts", "v1,v2",
					"spring.liquibase.parameters.v2SlowSeconds", "12");
			try (Fleet v2 = Fleet.start("rolling-v2", 2, url, v2Properties)) {
				Member leader = awaitLeaderInSlowChangeset(v2, url);
				Member waiter = v2.members().stream().filter((member) -> member != leader).findFirst().orElseThrow();
				// an instance already serving reads the new leader's progress from the database
				String endpoint = running.get("/actuator/schemagate");
				assertThat(JsonPath.<String>read(endpoint, "$.gates.liquibase.leader.changeset.id"))
					.isEqualTo("006-v2-backfill");
				assertThat(JsonPath.<Integer>read(endpoint, "$.gates.liquibase.leader.pid"))
					.isEqualTo((int) leader.process().pid());
				assertThat(JsonPath.<String>read(endpoint, "$.gates.liquibase.lockHolder.applicationName"))
					.endsWith("pid " + leader.process().pid());
				// the waiting instance logs who leads and what it runs, every five seconds
				long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
				while (!waiter.output().contains("running changeset 1/1 006-v2-backfill (sample)")
						&& System.nanoTime() < deadline) {
					Thread.sleep(200);
				}
				assertThat(waiter.output()).contains("pid " + leader.process().pid() + ", running changeset 1/1 "
						+ "006-v2-backfill (sample)");
				assertThat(leader.output()).contains("changeset 1/1 006-v2-backfill (sample) started");
				Map<Member, Duration> ready = v2.awaitReady(READY_BOUND);
				assertThat(ready).hasSize(2);
				assertThat(leader.output()).containsPattern("changeset 1/1 006-v2-backfill \\(sample\\) finished in 1[0-9]\\.");
			}
			assertThat(auditRows(url)).containsEntry("v2", 1L);
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog")).isEqualTo(6);
			// the running v1 instance still holds every changeset it needs: it stays ready
			assertThat(running.isReady()).isTrue();
		}
	}

	private void assertMigratedExactlyOnce(String url) throws SQLException {
		Map<String, Long> rows = auditRows(url);
		assertThat(rows).containsExactlyInAnyOrderEntriesOf(Map.of("seed", 1L, "slow", 1L, "after-index", 1L));
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM greeting WHERE message = 'hello'")).isOne();
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog")).isEqualTo(5);
		assertThat(this.postgres.queryLong(url, "SELECT count(DISTINCT id) FROM databasechangelog")).isEqualTo(5);
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'greeting_message_idx'")).isOne();
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM INT_LOCK")).isZero();
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangeloglock WHERE locked")).isZero();
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
				+ "WHERE l.locktype = 'advisory' AND d.datname = current_database()")).isZero();
	}

	private Map<String, Long> auditRows(String url) throws SQLException {
		Map<String, Long> rows = new LinkedHashMap<>();
		try (Connection connection = this.postgres.connect(url);
				Statement statement = connection.createStatement();
				ResultSet result = statement
					.executeQuery("SELECT note, count(*) FROM migration_audit GROUP BY note ORDER BY note")) {
			while (result.next()) {
				rows.put(result.getString(1), result.getLong(2));
			}
		}
		return rows;
	}

	private Member awaitLeaderInSlowChangeset(Fleet fleet, String url) throws Exception {
		long deadline = System.nanoTime() + READY_BOUND.toNanos();
		while (System.nanoTime() < deadline) {
			Optional<Member> leader = queryString(url, "SELECT application_name FROM pg_stat_activity "
					+ "WHERE datname = current_database() AND state = 'active' AND query LIKE 'SELECT pg_sleep%'")
				.flatMap(fleet::byApplicationName);
			if (leader.isPresent()) {
				return leader.get();
			}
			Thread.sleep(100);
		}
		throw new AssertionError("No instance started the slow changeset within " + READY_BOUND);
	}

	private Member awaitFenceHolderOtherThan(Fleet fleet, String url, Member previous, Duration timeout)
			throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			Optional<Member> holder = fenceHolder(url).flatMap(fleet::byApplicationName);
			if (holder.isPresent() && !holder.get().equals(previous)) {
				return holder.get();
			}
			Thread.sleep(20);
		}
		throw new AssertionError("No other instance took the lock within " + timeout);
	}

	private Optional<String> fenceHolder(String url) throws SQLException {
		return queryString(url, "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
				+ "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()");
	}

	private Optional<String> queryString(String url, String sql) throws SQLException {
		try (Connection connection = this.postgres.connect(url);
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery(sql)) {
			return result.next() ? Optional.ofNullable(result.getString(1)) : Optional.empty();
		}
	}

	private void report(String scenario, String url, Map<Member, Duration> ready, String extra) throws SQLException {
		List<Long> seconds = ready.values().stream().map(Duration::toMillis).sorted().toList();
		System.out.printf("[fleet] %s: audit rows %s, changesets %d, ready after %s ms%s%n", scenario, auditRows(url),
				this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog"), seconds,
				(extra != null) ? ", " + extra : "");
	}

}
