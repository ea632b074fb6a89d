package dev.schemagate.sample.fleet;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.jayway.jsonpath.JsonPath;
import dev.schemagate.sample.fleet.Fleet.Member;
import dev.schemagate.test.TestMariaDb;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Fleets of sample-app JVMs started at once on one MariaDB database, with their leader
 * killed, frozen, cut off from the network or by a restarting server, beside a Liquibase run
 * outside the fleet and with waiters that may not end a frozen leader. Exactly-once is proven
 * by counting the rows that the sample's non-idempotent changesets insert.
 */
class MariaDbFleetIT {

	/** How long every surviving instance of a fleet of four may take to be ready. */
	private static final Duration READY_BOUND = Duration.ofMinutes(3);

	private static final int ROUNDS = Integer.getInteger("fleet.rounds", 3);

	private static final String CHANGELOG = "classpath:db/changelog/mariadb/db.changelog-master.xml";

	/** The changesets of the sample's MariaDB changelog. */
	private static final int CHANGESETS = 8;

	private final TestMariaDb mariadb = TestMariaDb.get();

	@Test
	void freshFleetsOfFourMigrateExactlyOnce() throws Exception {
		for (int round = 1; round <= ROUNDS; round++) {
			String url = this.mariadb.createDatabase();
			try (Fleet fleet = Fleet.start("mariadb-fresh-" + round, 4, url, properties(Map.of()))) {
				Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
				assertThat(ready).hasSize(4);
				assertMigratedExactlyOnce(url);
				report("fresh start of 4, round " + round + "/" + ROUNDS, url, ready, null);
			}
		}
	}

	@Test
	void twelveInstancesStartingAtOnceMigrateExactlyOnceAndTwelveMoreStartWithoutTheLock() throws Exception {
		String url = this.mariadb.createDatabase();
		try (Fleet fleet = Fleet.start("mariadb-fresh-12", 12, url, properties(Map.of()))) {
			Map<Member, Duration> ready = fleet.awaitReady(Duration.ofMinutes(6));
			assertThat(ready).hasSize(12);
			assertMigratedExactlyOnce(url);
			report("fresh start of 12", url, ready, null);
		}
		try (Fleet fleet = Fleet.start("mariadb-migrated-12", 12, url, properties(Map.of()))) {
			Map<Member, Duration> ready = fleet.awaitReady(Duration.ofMinutes(6));
			assertThat(ready).hasSize(12);
			for (Member member : fleet.members()) {
				String endpoint = member.get("/actuator/schemagate");
				assertThat(JsonPath.<Integer>read(endpoint, "$.gates.liquibase.fenceAcquisitions")).isZero();
				assertThat(JsonPath.<String>read(endpoint, "$.gates.liquibase.state")).isEqualTo("UP_TO_DATE");
			}
			assertMigratedExactlyOnce(url);
			report("12 more on the migrated database", url, ready, null);
		}
	}

	@Test
	void leaderKilledMidChangesetIsTakenOverAtOnce() throws Exception {
		String url = this.mariadb.createDatabase();
		try (Fleet fleet = Fleet.start("mariadb-leader-killed", 4, url, properties(Map.of(
				"spring.liquibase.parameters.slowSeconds", "15")))) {
			Member leader = awaitLeaderInSlowChangeset(fleet, url);
			// the Liquibase lock it leaves behind names its fence: the next leader clears it at once
			assertThat(this.mariadb.queryString(url, "SELECT LOCKEDBY FROM DATABASECHANGELOGLOCK WHERE LOCKED"))
				.startsWith("schemagate fence ");
			long killedAt = System.nanoTime();
			Fleet.signal(leader, "KILL");
			Member next = awaitLeaderOtherThan(fleet, url, leader, Duration.ofSeconds(30));
			Duration takeover = Duration.ofNanos(System.nanoTime() - killedAt);
			// the default time-to-live is 10s: the takeover must not wait for it to run out
			assertThat(takeover).isLessThan(Duration.ofSeconds(10));
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
			assertThat(ready).hasSize(3).doesNotContainKey(leader);
			assertMigratedExactlyOnce(url);
			assertThat(Fleet.appliedBy(url, "003-slow-backfill")).containsExactly(next.process().pid());
			report("leader SIGKILLed mid-changeset", url, ready, "takeover " + takeover.toMillis() + "ms");
		}
	}

	@Test
	void leaderFrozenPastItsLeaseIsReplacedAndRejoinsWhenResumed() throws Exception {
		String url = this.mariadb.createDatabase();
		try (Fleet fleet = Fleet.start("mariadb-leader-frozen", 4, url, properties(Map.of(
				"spring.liquibase.parameters.slowSeconds", "15")))) {
			Member leader = awaitLeaderInSlowChangeset(fleet, url);
			Fleet.signal(leader, "STOP");
			long frozenAt = System.nanoTime();
			Member next = awaitLeaderOtherThan(fleet, url, leader, Duration.ofSeconds(60));
			Duration takeover = Duration.ofNanos(System.nanoTime() - frozenAt);
			// default time-to-live 10s: the leader's last renewal came up to 3.3s before the
			// freeze; a waiter then ends its connection and waits for the lock to be free
			assertThat(takeover).isGreaterThan(Duration.ofSeconds(6)).isLessThan(Duration.ofSeconds(15));
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND, List.of(leader));
			assertThat(ready).hasSize(3).doesNotContainKey(leader);
			assertMigratedExactlyOnce(url);
			long readyWhileFrozen = Duration.ofNanos(System.nanoTime() - frozenAt).toMillis();
			// frozen far longer than the lease
			long frozenFor = Duration.ofSeconds(40).toNanos();
			while (System.nanoTime() - frozenAt < frozenFor) {
				Thread.sleep(500);
			}
			Fleet.signal(leader, "CONT");
			Map<Member, Duration> all = fleet.awaitReady(READY_BOUND);
			assertThat(all).hasSize(4).containsKey(leader);
			assertMigratedExactlyOnce(url);
			assertThat(Fleet.appliedBy(url, "003-slow-backfill")).containsExactly(next.process().pid());
			report("leader SIGSTOPped 40s (TTL 10s) mid-changeset", url, all, "takeover " + takeover.toMillis()
					+ "ms after the freeze, 3 others ready " + readyWhileFrozen + "ms after it");
		}
	}

	@Test
	void leaderCutOffFromTheServerIsReplaced() throws Exception {
		assumeTrue(NetworkNamespace.available(), "cutting a leader off needs root and iproute2 (ip netns)");
		String url = this.mariadb.createDatabase();
		// long enough that the others have started and wait before the leader could finish
		Map<String, String> slow = properties(Map.of("spring.liquibase.parameters.slowSeconds", "45"));
		this.mariadb.allowClients(NetworkNamespace.NETWORK);
		String urlFromNamespace = url.replaceFirst("//[^/:]+", "//" + NetworkNamespace.HOST_ADDRESS);
		try (NetworkNamespace namespace = NetworkNamespace.create();
				Fleet cutOff = Fleet.start("mariadb-leader-cut-off", 1, urlFromNamespace, slow, namespace.launcher(),
						NetworkNamespace.GUEST_ADDRESS)) {
			Member leader = awaitLeaderInSlowChangeset(cutOff, url);
			try (Fleet others = Fleet.start("mariadb-cut-off-others", 3, url, slow)) {
				awaitRegistered(url, 4);
				namespace.cut();
				long cutAt = System.nanoTime();
				Member next = awaitLeaderOtherThan(others, url, leader, Duration.ofSeconds(60));
				Duration takeover = Duration.ofNanos(System.nanoTime() - cutAt);
				// no FIN, no RST: the lease's time-to-live (10s) tells, then KILL CONNECTION
				assertThat(takeover).isGreaterThan(Duration.ofSeconds(6)).isLessThan(Duration.ofSeconds(20));
				Map<Member, Duration> ready = others.awaitReady(READY_BOUND);
				assertThat(ready).hasSize(3);
				assertMigratedExactlyOnce(url);
				assertThat(Fleet.appliedBy(url, "003-slow-backfill")).containsExactly(next.process().pid());
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
	void waitersThatMayNotEndAFrozenLeaderWaitForItAndSaySo() throws Exception {
		String url = this.mariadb.createDatabase();
		String database = url.substring(url.lastIndexOf('/') + 1);
		String user = "sg_waiter_" + ProcessHandle.current().pid();
		// every privilege on the application's database, none to end another user's session
		this.mariadb.executeIn(url, "CREATE USER '" + user + "'@'%' IDENTIFIED BY 'secret'",
				"GRANT ALL PRIVILEGES ON " + database + ".* TO '" + user + "'@'%'");
		try (Fleet leading = Fleet.start("mariadb-frozen-unending-leader", 1, url, properties(Map.of(
				"spring.liquibase.parameters.slowSeconds", "15")))) {
			Member leader = awaitLeaderInSlowChangeset(leading, url);
			Map<String, String> otherUser = properties(Map.of("spring.liquibase.parameters.slowSeconds", "15",
					"spring.datasource.username", user, "spring.datasource.password", "secret"));
			try (Fleet waiters = Fleet.start("mariadb-frozen-unending-waiters", 2, url, otherUser)) {
				awaitRegistered(url, 3);
				Fleet.signal(leader, "STOP");
				long frozenAt = System.nanoTime();
				// past the time-to-live (10s): each waiter found it may not end the leader
				for (Member waiter : waiters.members()) {
					awaitOutput(waiter, "may not end its session", Duration.ofSeconds(60));
				}
				Duration noticed = Duration.ofNanos(System.nanoTime() - frozenAt);
				// and goes on waiting, however long the leader stays frozen
				Thread.sleep(10_000);
				assertThat(leader(waiters, url)).isEmpty();
				assertThat(Fleet.auditRows(url)).doesNotContainKey("slow");
				Fleet.signal(leader, "CONT");
				// the leader, resumed past its lease, cannot know that nobody took over: it gives
				// up its session, and the changeset it ran is rolled back and run once, by any
				Map<Member, Duration> ready = waiters.awaitReady(READY_BOUND);
				assertThat(ready).hasSize(2);
				assertThat(leading.awaitReady(READY_BOUND)).hasSize(1);
				assertMigratedExactlyOnce(url);
				assertThat(Fleet.appliedBy(url, "003-slow-backfill")).hasSize(1);
				report("leader SIGSTOPped, waiters without the right to end it", url, ready,
						"both said why " + noticed.toMillis() + "ms after the freeze");
			}
		}
		finally {
			this.mariadb.executeIn(url, "DROP USER '" + user + "'@'%'");
		}
	}

	@Test
	void plainLiquibaseRunOutsideTheFleetIsWaitedForNotRunBeside() throws Exception {
		String url = this.mariadb.createDatabase();
		// long enough that the gated instances start while it runs
		Map<String, String> slow = properties(Map.of("spring.liquibase.parameters.slowSeconds", "30"));
		Map<String, String> withoutStarter = new HashMap<>(slow);
		withoutStarter.put("schemagate.enabled", "false");
		// an instance not yet upgraded, running plain Spring Boot and Liquibase
		try (Fleet plain = Fleet.start("mariadb-outside-plain", 1, url, withoutStarter)) {
			awaitSlowChangesetRunning(url);
			try (Fleet gated = Fleet.start("mariadb-outside-gated", 2, url, slow)) {
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
				report("2 gated instances started while a plain Liquibase run was mid-changeset", url, ready, null);
			}
		}
	}

	@Test
	void changelogLockLeftByACrashedRunDoesNotBlockTheFleet() throws Exception {
		String url = this.mariadb.createDatabase();
		// taken a minute ago on a session since closed, as a killed Liquibase run leaves it
		this.mariadb.executeIn(url, "CREATE TABLE DATABASECHANGELOGLOCK (ID INT PRIMARY KEY, LOCKED BOOLEAN NOT NULL, "
				+ "LOCKGRANTED DATETIME, LOCKEDBY VARCHAR(255))",
				"INSERT INTO DATABASECHANGELOGLOCK VALUES (1, TRUE, NOW() - INTERVAL 1 MINUTE, 'crashed (10.0.0.7)')");
		// a leader that had to wait for this lock would give up after a minute and fail
		try (Fleet fleet = Fleet.start("mariadb-stale-changelog-lock", 4, url, properties(Map.of(
				"schemagate.lock.wait-timeout", "60s")))) {
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
			assertThat(ready).hasSize(4);
			assertMigratedExactlyOnce(url);
			report("stale DATABASECHANGELOGLOCK row", url, ready, null);
		}
	}

	@Test
	void serverRestartedMidChangesetIsRetried() throws Exception {
		String url = this.mariadb.createDatabase();
		try (Fleet fleet = Fleet.start("mariadb-restarted", 4, url, properties(Map.of(
				"spring.liquibase.parameters.slowSeconds", "8")))) {
			awaitLeaderInSlowChangeset(fleet, url);
			long restartedAt = System.nanoTime();
			this.mariadb.restart();
			Duration restart = Duration.ofNanos(System.nanoTime() - restartedAt);
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
			assertThat(ready).hasSize(4);
			assertMigratedExactlyOnce(url);
			report("MariaDB restarted mid-changeset", url, ready, "restart took " + restart.toMillis() + "ms");
		}
	}

	@Test
	void leaderKilledInsideADdlChangesetLeavesWhatTheDocsSay() throws Exception {
		String url = this.mariadb.createDatabase();
		Map<String, String> release = properties(Map.of("spring.liquibase.change-log",
				Path.of("target", "test-classes", "db", "mariadb", "ddl-halfway.xml").toAbsolutePath().toUri().toString(),
				"spring.liquibase.parameters.releaseSeconds", "20"));
		try (Fleet fleet = Fleet.start("mariadb-ddl-halfway", 3, url, release)) {
			// between the changeset's two statements: its first table is there, it sleeps
			long deadline = System.nanoTime() + READY_BOUND.toNanos();
			while (tableCount(url, "release_first") == 0) {
				assertThat(System.nanoTime()).as("first table created within %s", READY_BOUND).isLessThan(deadline);
				Thread.sleep(100);
			}
			Member leader = awaitLeaderInSlowChangeset(fleet, url);
			Fleet.signal(leader, "KILL");
			// the next leader runs the changeset again from its first statement, which fails:
			// the first table is there, committed by itself, and the changeset has no row
			for (Member member : fleet.members()) {
				assertThat(member.process().waitFor(READY_BOUND.toSeconds(), TimeUnit.SECONDS))
					.as("stopped; see %s", member.log())
					.isTrue();
			}
			assertThat(fleet.members().stream().filter((member) -> member != leader))
				.allSatisfy((member) -> assertThat(member.output()).contains("APPLICATION FAILED TO START"))
				.anySatisfy((member) -> assertThat(member.output()).contains("'release_first' already exists"));
			assertThat(tableCount(url, "release_first")).isOne();
			assertThat(tableCount(url, "release_second")).isZero();
			assertThat(this.mariadb.queryLong(url, "SELECT COUNT(*) FROM DATABASECHANGELOG WHERE ID = '900-two-tables'"))
				.isZero();
			// everything before it, once
			assertMigratedExactlyOnce(url);
			System.out.printf("[fleet-mariadb] leader SIGKILLed inside a two-statement DDL changeset: first table "
					+ "committed, no changelog row, the next leader's run failed on it, the fleet stopped%n");
		}
	}

	// the sample's MariaDB changelog, with the given properties
	private static Map<String, String> properties(Map<String, String> extra) {
		Map<String, String> properties = new HashMap<>();
		properties.put("spring.liquibase.change-log", CHANGELOG);
		properties.putAll(extra);
		return properties;
	}

	private void assertMigratedExactlyOnce(String url) throws SQLException {
		assertThat(Fleet.auditRows(url)).containsExactlyInAnyOrderEntriesOf(Map.of("seed", 1L, "slow", 1L, "after-index", 1L));
		assertThat(query(url, "SELECT COUNT(*) FROM greeting WHERE message = 'hello'")).isOne();
		assertThat(query(url, "SELECT COUNT(*) FROM sender")).isEqualTo(2);
		assertThat(query(url, "SELECT COUNT(*) FROM DATABASECHANGELOG WHERE ID NOT LIKE '9%'")).isEqualTo(CHANGESETS);
		assertThat(query(url, "SELECT COUNT(DISTINCT ID) FROM DATABASECHANGELOG WHERE ID NOT LIKE '9%'"))
			.isEqualTo(CHANGESETS);
		assertThat(query(url, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
				+ "AND INDEX_NAME = 'greeting_message_idx'")).isOne();
		assertThat(query(url, "SELECT COUNT(*) FROM INT_LOCK")).isZero();
		assertThat(query(url, "SELECT COUNT(*) FROM DATABASECHANGELOGLOCK WHERE LOCKED")).isZero();
	}

	// every instance has joined the registry, which it does before it waits
	private void awaitRegistered(String url, int instances) throws Exception {
		long deadline = System.nanoTime() + READY_BOUND.toNanos();
		while (tableCount(url, "SCHEMAGATE_INSTANCE") == 0
				|| query(url, "SELECT COUNT(*) FROM SCHEMAGATE_INSTANCE") < instances) {
			assertThat(System.nanoTime()).as("%d instances registered within %s", instances, READY_BOUND)
				.isLessThan(deadline);
			Thread.sleep(100);
		}
	}

	private static void awaitOutput(Member member, String text, Duration timeout) throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (!member.output().contains(text)) {
			assertThat(System.nanoTime()).as("'%s' in %s within %s", text, member.log(), timeout).isLessThan(deadline);
			Thread.sleep(200);
		}
	}

	private long tableCount(String url, String table) throws SQLException {
		return query(url, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
				+ "AND TABLE_NAME = '" + table + "'");
	}

	private void awaitSlowChangesetRunning(String url) throws Exception {
		long deadline = System.nanoTime() + READY_BOUND.toNanos();
		while (query(url, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
				+ "AND INFO LIKE 'SELECT SLEEP%'") == 0) {
			assertThat(System.nanoTime()).as("slow changeset started within %s", READY_BOUND).isLessThan(deadline);
			Thread.sleep(100);
		}
	}

	// MariaDB keeps no session names: the leader's row tells who runs the slow changeset
	private Member awaitLeaderInSlowChangeset(Fleet fleet, String url) throws Exception {
		awaitSlowChangesetRunning(url);
		return leader(fleet, url).orElseThrow(() -> new AssertionError("No leader row while a changeset runs"));
	}

	private Member awaitLeaderOtherThan(Fleet fleet, String url, Member previous, Duration timeout) throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			Optional<Member> leader = leader(fleet, url);
			if (leader.isPresent() && !leader.get().equals(previous)) {
				return leader.get();
			}
			Thread.sleep(20);
		}
		throw new AssertionError("No other instance took the lock within " + timeout);
	}

	private Optional<Member> leader(Fleet fleet, String url) throws SQLException {
		String pid = this.mariadb.queryString(url, "SELECT MAX(PID) FROM SCHEMAGATE_LEADER");
		return (pid != null)
				? fleet.members().stream().filter((member) -> member.process().pid() == Long.parseLong(pid)).findFirst()
				: Optional.empty();
	}

	private long query(String url, String sql) throws SQLException {
		return this.mariadb.queryLong(url, sql);
	}

	private void report(String scenario, String url, Map<Member, Duration> ready, String extra) throws SQLException {
		List<Long> millis = ready.values().stream().map(Duration::toMillis).sorted().toList();
		System.out.printf("[fleet-mariadb] %s: audit rows %s, changesets %d, ready after %s ms%s%n", scenario,
				Fleet.auditRows(url), query(url, "SELECT COUNT(*) FROM DATABASECHANGELOG"), millis,
				(extra != null) ? ", " + extra : "");
	}

}
