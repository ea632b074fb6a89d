package dev.schemagate.sample.fleet;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.jayway.jsonpath.JsonPath;
import dev.schemagate.sample.fleet.Fleet.Member;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
	void twelveInstancesStartingAtOnceMigrateExactlyOnceAndTwelveMoreStartWithoutTheLock() throws Exception {
		String url = this.postgres.createDatabase();
		try (Fleet fleet = Fleet.start("fresh-12", 12, url, Map.of())) {
			Map<Member, Duration> ready = fleet.awaitReady(Duration.ofMinutes(6));
			assertThat(ready).hasSize(12);
			assertMigratedExactlyOnce(url);
			report("fresh start of 12", url, ready, null);
		}
		try (Fleet fleet = Fleet.start("migrated-12", 12, url, Map.of())) {
			Map<Member, Duration> ready = fleet.awaitReady(Duration.ofMinutes(6));
			assertThat(ready).hasSize(12);
			// each found the schema up to date with a read-only check: none took the fence
			for (Member member : fleet.members()) {
				String endpoint = member.get("/actuator/schemagate");
				assertThat(JsonPath.<Integer>read(endpoint, "$.gates.liquibase.fenceAcquisitions")).isZero();
				assertThat(JsonPath.<Integer>read(endpoint, "$.gates.liquibase.lockAcquisitions")).isZero();
				assertThat(JsonPath.<String>read(endpoint, "$.gates.liquibase.state")).isEqualTo("UP_TO_DATE");
			}
			assertMigratedExactlyOnce(url);
			report("12 more on the migrated database", url, ready, null);
		}
	}

	@Test
	void leaderKilledMidChangesetIsTakenOverAtOnce() throws Exception {
		String url = this.postgres.createDatabase();
		try (Fleet fleet = Fleet.start("leader-killed", 4, url, Map.of("spring.liquibase.parameters.slowSeconds", "15"))) {
			Member leader = awaitLeaderInSlowChangeset(fleet, url);
			// the Liquibase lock it leaves behind names its fence: the next leader clears it at once
			assertThat(queryString(url, "SELECT lockedby FROM databasechangeloglock WHERE locked"))
				.hasValueSatisfying((lockedBy) -> assertThat(lockedBy).startsWith("schemagate fence "));
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
	void leaderPausedWithinItsLeaseKeepsTheLock() throws Exception {
		String url = this.postgres.createDatabase();
		// default time-to-live 10s, renewed every 3.3s: after a 5s pause the lease is renewed
		// again before anyone has seen it unchanged for 10s
		try (Fleet fleet = Fleet.start("leader-paused", 4, url, Map.of("spring.liquibase.parameters.slowSeconds", "12"))) {
			Member leader = awaitLeaderInSlowChangeset(fleet, url);
			Fleet.signal(leader, "STOP");
			List<String> holdersWhilePaused = new ArrayList<>();
			for (int i = 0; i < 10; i++) {
				Thread.sleep(500);
				holdersWhilePaused.add(fenceHolder(url).orElse("nobody"));
				assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM migration_audit WHERE note = 'slow'")).isZero();
			}
			Fleet.signal(leader, "CONT");
			assertThat(holdersWhilePaused).allSatisfy(
					(holder) -> assertThat(fleet.byApplicationName(holder)).contains(leader));
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
			assertThat(ready).hasSize(4);
			assertMigratedExactlyOnce(url);
			// the paused leader itself finished the changeset it was running
			assertThat(Fleet.appliedBy(url, "003-slow-backfill")).containsExactly(leader.process().pid());
			report("leader SIGSTOPped 5s (TTL 10s) mid-changeset", url, ready, null);
		}
	}

	@Test
	void leaderFrozenPastItsLeaseIsReplacedAndRejoinsWhenResumed() throws Exception {
		String url = this.postgres.createDatabase();
		try (Fleet fleet = Fleet.start("leader-frozen", 4, url, Map.of("spring.liquibase.parameters.slowSeconds", "15"))) {
			Member leader = awaitLeaderInSlowChangeset(fleet, url);
			Fleet.signal(leader, "STOP");
			long frozenAt = System.nanoTime();
			Member next = awaitFenceHolderOtherThan(fleet, url, leader, Duration.ofSeconds(60));
			Duration takeover = Duration.ofNanos(System.nanoTime() - frozenAt);
			assertThat(next).isNotEqualTo(leader);
			// default time-to-live 10s: the leader's last renewal came up to 3.3s before the freeze
			assertThat(takeover).isGreaterThan(Duration.ofSeconds(6)).isLessThan(Duration.ofSeconds(15));
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND, List.of(leader));
			assertThat(ready).hasSize(3).doesNotContainKey(leader);
			assertMigratedExactlyOnce(url);
			long readyWhileFrozen = Duration.ofNanos(System.nanoTime() - frozenAt).toMillis();
			// frozen for minutes, far longer than the lease
			long frozenFor = Duration.ofMinutes(2).toNanos();
			while (System.nanoTime() - frozenAt < frozenFor) {
				Thread.sleep(500);
			}
			Fleet.signal(leader, "CONT");
			Map<Member, Duration> all = fleet.awaitReady(READY_BOUND);
			assertThat(all).hasSize(4).containsKey(leader);
			assertMigratedExactlyOnce(url);
			assertThat(Fleet.appliedBy(url, "003-slow-backfill")).singleElement().isNotEqualTo(leader.process().pid());
			report("leader SIGSTOPped 120s (TTL 10s) mid-changeset", url, all, "takeover " + takeover.toMillis()
					+ "ms after the freeze, 3 others ready " + readyWhileFrozen + "ms after it");
		}
	}

	@Test
	void plainLiquibaseRunOutsideTheFleetIsWaitedForNotRunBeside() throws Exception {
		String url = this.postgres.createDatabase();
		// long enough that the gated instances start while it runs
		Map<String, String> slow = Map.of("spring.liquibase.parameters.slowSeconds", "30");
		Map<String, String> withoutStarter = new java.util.HashMap<>(slow);
		withoutStarter.put("schemagate.enabled", "false");
		// an instance not yet upgraded, running plain Spring Boot and Liquibase
		try (Fleet plain = Fleet.start("outside-plain", 1, url, withoutStarter)) {
			awaitSlowChangesetRunning(url);
			long gatedStart = System.nanoTime();
			try (Fleet gated = Fleet.start("outside-gated", 2, url, slow)) {
				Map<Member, Duration> ready = gated.awaitReady(READY_BOUND);
				assertThat(ready).hasSize(2);
				assertThat(plain.awaitReady(READY_BOUND)).hasSize(1);
				assertMigratedExactlyOnce(url);
				// the gated instances ran none of the changesets the plain one was applying
				assertThat(Fleet.appliedBy(url, "003-slow-backfill")).isEmpty();
				// the one that took the fence waited for the plain run's own Liquibase lock
				List<String> waitedFor = new ArrayList<>();
				for (Member member : gated.members()) {
					Map<String, Object> gate = JsonPath.read(member.get("/actuator/schemagate"), "$.gates.liquibase");
					if (gate.get("foreignLock") instanceof Map<?, ?> foreignLock) {
						waitedFor.add(String.valueOf(foreignLock.get("lockedBy")));
					}
				}
				assertThat(waitedFor).singleElement().asString().doesNotStartWith("schemagate");
				report("2 gated instances started while a plain Liquibase run was mid-changeset", url, ready,
						"gated started " + Duration.ofNanos(System.nanoTime() - gatedStart).toMillis() + "ms ago");
			}
		}
	}

	@Test
	void leaderCutOffFromTheDatabaseIsReplaced() throws Exception {
		assumeTrue(NetworkNamespace.available(), "cutting a leader off needs root and iproute2 (ip netns)");
		String url = this.postgres.createDatabase();
		// long enough that the others have started and wait before the leader could finish
		Map<String, String> slow = Map.of("spring.liquibase.parameters.slowSeconds", "45");
		this.postgres.allowClients(NetworkNamespace.NETWORK);
		String urlFromNamespace = url.replaceFirst("//[^/:]+", "//" + NetworkNamespace.HOST_ADDRESS);
		try (NetworkNamespace namespace = NetworkNamespace.create();
				Fleet cutOff = Fleet.start("leader-cut-off", 1, urlFromNamespace, slow, namespace.launcher(),
						NetworkNamespace.GUEST_ADDRESS)) {
			Member leader = awaitLeaderInSlowChangeset(cutOff, url);
			try (Fleet others = Fleet.start("cut-off-others", 3, url, slow)) {
				Fleet.awaitWaiting(url, 3, READY_BOUND);
				namespace.cut();
				long cutAt = System.nanoTime();
				Member next = awaitFenceHolderOtherThan(others, url, leader, Duration.ofSeconds(60));
				Duration takeover = Duration.ofNanos(System.nanoTime() - cutAt);
				// no FIN, no RST: only the lease's time-to-live (10s) tells that the leader is gone
				assertThat(takeover).isLessThan(Duration.ofSeconds(15));
				Map<Member, Duration> ready = others.awaitReady(READY_BOUND);
				assertThat(ready).hasSize(3);
				assertMigratedExactlyOnce(url);
				assertThat(Fleet.appliedBy(url, "003-slow-backfill")).singleElement().isEqualTo(next.process().pid());
				namespace.heal();
				long healedAt = System.nanoTime();
				// the cut-off instance recovers and starts, or gives up and exits with its reason
				long deadline = healedAt + Duration.ofMinutes(4).toNanos();
				while (leader.process().isAlive() && !leader.isReady() && System.nanoTime() < deadline) {
					Thread.sleep(500);
				}
				boolean recovered = leader.process().isAlive() && leader.isReady();
				if (!recovered) {
					assertThat(leader.process().isAlive()).as("cut-off instance ready or exited").isFalse();
					assertThat(leader.output()).contains("APPLICATION FAILED TO START");
				}
				assertMigratedExactlyOnce(url);
				report("leader cut off mid-changeset (blackhole routes)", url, ready,
						"takeover " + takeover.toMillis() + "ms after the cut; cut-off instance "
								+ (recovered ? "ready " : "exited ")
								+ Duration.ofNanos(System.nanoTime() - healedAt).toMillis() + "ms after the heal");
			}
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
	void leaderKilledBetweenAChangesetAndItsChangelogRowLeavesNeither() throws Exception {
		String url = this.postgres.createDatabase();
		try (Fleet v1 = Fleet.start("row-window-v1", 1, url, Map.of())) {
			assertThat(v1.awaitReady(READY_BOUND)).hasSize(1);
		}
		// Liquibase commits a changeset, then inserts its DATABASECHANGELOG row: hold the leader
		// in between, where a kill would leave the changeset applied but unrecorded
		this.postgres.executeIn(url, "CREATE FUNCTION hold_changelog_row() RETURNS trigger LANGUAGE plpgsql AS "
				+ "$$ BEGIN PERFORM pg_sleep(5); RETURN NEW; END $$",
				"CREATE TRIGGER hold_changelog_row BEFORE INSERT ON databasechangelog FOR EACH ROW "
						+ "WHEN (NEW.id = '006-v2-backfill') EXECUTE FUNCTION hold_changelog_row()");
		Map<String, String> v2 = Map.of("spring.profiles.active", "v2", "spring.liquibase.parameters.v2SlowSeconds", "0");
		try (Fleet fleet = Fleet.start("row-window-v2", 3, url, v2)) {
			Member leader = fleet.awaitRunning(url, "INSERT INTO %databasechangelog%", READY_BOUND);
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog WHERE id = '006-v2-backfill'"))
				.isZero();
			Fleet.signal(leader, "KILL");
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
			assertThat(ready).hasSize(2).doesNotContainKey(leader);
			assertThat(Fleet.auditRows(url)).containsEntry("v2", 1L);
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog WHERE id = '006-v2-backfill'"))
				.isOne();
			report("leader SIGKILLed between a changeset and its DATABASECHANGELOG row", url, ready, null);
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
			Map<String, String> v2Properties = Map.of("spring.profiles.active", "v2",
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
				while (!waiter.output().contains("running changeset 1/3 006-v2-backfill (sample)")
						&& System.nanoTime() < deadline) {
					Thread.sleep(200);
				}
				assertThat(waiter.output()).contains("pid " + leader.process().pid() + ", running changeset 1/3 "
						+ "006-v2-backfill (sample)");
				assertThat(leader.output()).contains("changeset 1/3 006-v2-backfill (sample) started");
				Map<Member, Duration> ready = v2.awaitReady(READY_BOUND);
				assertThat(ready).hasSize(2);
				assertThat(leader.output()).containsPattern("changeset 1/3 006-v2-backfill \\(sample\\) finished in 1[0-9]\\.");
			}
			assertThat(Fleet.auditRows(url)).containsEntry("v2", 1L);
			// version 2's contract changeset waits for the version 1 instance
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog")).isEqualTo(9);
			// the running v1 instance still holds every changeset it needs: it stays ready
			assertThat(running.isReady()).isTrue();
		}
	}

	private void assertMigratedExactlyOnce(String url) throws SQLException {
		Map<String, Long> rows = Fleet.auditRows(url);
		assertThat(rows).containsExactlyInAnyOrderEntriesOf(Map.of("seed", 1L, "slow", 1L, "after-index", 1L));
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM greeting WHERE message = 'hello'")).isOne();
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog")).isEqualTo(6);
		assertThat(this.postgres.queryLong(url, "SELECT count(DISTINCT id) FROM databasechangelog")).isEqualTo(6);
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'greeting_message_idx'")).isOne();
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM INT_LOCK")).isZero();
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangeloglock WHERE locked")).isZero();
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
				+ "WHERE l.locktype = 'advisory' AND d.datname = current_database()")).isZero();
	}

	private void awaitSlowChangesetRunning(String url) throws Exception {
		long deadline = System.nanoTime() + READY_BOUND.toNanos();
		while (queryString(url, "SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() "
				+ "AND state = 'active' AND query LIKE 'SELECT pg_sleep%'").isEmpty()) {
			assertThat(System.nanoTime()).as("slow changeset started within %s", READY_BOUND).isLessThan(deadline);
			Thread.sleep(100);
		}
	}

	private Member awaitLeaderInSlowChangeset(Fleet fleet, String url) throws Exception {
		return fleet.awaitRunning(url, "SELECT pg_sleep%", READY_BOUND);
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
				+ "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND a.datname = current_database()");
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
		System.out.printf("[fleet] %s: audit rows %s, changesets %d, ready after %s ms%s%n", scenario, Fleet.auditRows(url),
				this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog"), seconds,
				(extra != null) ? ", " + extra : "");
	}

}
