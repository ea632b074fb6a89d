package dev.schemagate.sample.fleet;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.schemagate.sample.fleet.Fleet.Member;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deploys that go wrong, with separate JVMs of the packaged sample: an instance told to
 * stop (SIGTERM, as Kubernetes replaces a pod) while it waits, migrates or retries, and a
 * release whose changeset fails. Exactly-once is proven by counting the rows the sample's
 * non-idempotent changesets insert, and attempts by a sequence no rollback undoes.
 */
class DeployFaultsIT {

	private static final Duration READY_BOUND = Duration.ofMinutes(3);

	/** How long after its changeset, or the signal, a stopping instance may take to exit. */
	private static final Duration EXIT_BOUND = Duration.ofSeconds(2);

	private static final String SLOW_CHANGESET = "SELECT pg_sleep%";

	private final TestPostgres postgres = TestPostgres.get();

	@Test
	void leaderSignalledMidChangesetFinishesItAppliesNoMoreAndAWaiterAppliesTheRest() throws Exception {
		String url = this.postgres.createDatabase();
		try (Fleet fleet = Fleet.start("sigterm-leader", 3, url, Map.of("spring.liquibase.parameters.slowSeconds", "12"))) {
			Member leader = fleet.awaitRunning(url, SLOW_CHANGESET, READY_BOUND);
			Fleet.awaitWaiting(url, 2, READY_BOUND);
			CompletableFuture<Long> exited = exitTime(leader);
			long signalled = System.nanoTime();
			leader.process().destroy();
			long finished = awaitRow(url, "SELECT count(*) FROM databasechangelog WHERE id = '003-slow-backfill'",
					Duration.ofSeconds(30));
			assertThat(leader.process().waitFor(30, TimeUnit.SECONDS)).as("leader exited; see %s", leader.log()).isTrue();
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
			long allReady = System.nanoTime();
			assertThat(ready).hasSize(2).doesNotContainKey(leader);
			assertMigratedExactlyOnce(url);
			// the leader finished the changeset it ran, and left the others to a waiter
			assertThat(Fleet.appliedBy(url, "003-slow-backfill")).containsExactly(leader.process().pid());
			assertThat(Fleet.appliedBy(url, "005-after-index")).singleElement().isNotEqualTo(leader.process().pid());
			assertThat(leader.output()).doesNotContain("Tomcat started", "Started SampleApplication")
				.contains("Stopped migrating, having applied [001-tables, 002-seed, 003-slow-backfill]; 3 changesets left "
						+ "to the other instances");
			assertThat(registryRows(url, leader)).isZero();
			double exitAfterChangeset = seconds(exited.get(30, TimeUnit.SECONDS) - finished);
			System.out.printf("[deploy] leader SIGTERMed mid-changeset (12 s): exited %.2f s after finishing it "
					+ "(%.2f s after the signal); the other 2 ready %.2f s after the signal%n", exitAfterChangeset,
					seconds(exited.get(30, TimeUnit.SECONDS) - signalled), seconds(allReady - signalled));
			assertThat(exitAfterChangeset).isLessThan(EXIT_BOUND.toMillis() / 1000.0);
		}
	}

	@Test
	void abortingLeaderCancelsItsTransactionalChangesetAtOnceAndAWaiterRunsItAgain() throws Exception {
		String url = this.postgres.createDatabase();
		Map<String, String> properties = Map.of("spring.liquibase.parameters.slowSeconds", "20", "schemagate.shutdown",
				"abort");
		try (Fleet fleet = Fleet.start("sigterm-abort", 2, url, properties)) {
			Member leader = fleet.awaitRunning(url, SLOW_CHANGESET, READY_BOUND);
			Fleet.awaitWaiting(url, 1, READY_BOUND);
			CompletableFuture<Long> exited = exitTime(leader);
			long signalled = System.nanoTime();
			leader.process().destroy();
			assertThat(leader.process().waitFor(30, TimeUnit.SECONDS)).as("leader exited; see %s", leader.log()).isTrue();
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
			long allReady = System.nanoTime();
			assertThat(ready).hasSize(1).doesNotContainKey(leader);
			assertMigratedExactlyOnce(url);
			assertThat(Fleet.appliedBy(url, "003-slow-backfill")).singleElement().isNotEqualTo(leader.process().pid());
			assertThat(this.postgres.queryString(url, "SELECT string_agg(outcome, ',') FROM schemagate_history "
					+ "WHERE changeset_id = '003-slow-backfill' AND pid = " + leader.process().pid()))
				.isEqualTo("FAILED_TRANSIENT");
			assertThat(leader.output()).doesNotContain("Tomcat started");
			double exitAfterSignal = seconds(exited.get(30, TimeUnit.SECONDS) - signalled);
			System.out.printf("[deploy] leader SIGTERMed mid-changeset (20 s) with schemagate.shutdown=abort: exited "
					+ "%.2f s after the signal; the other ready %.2f s after it%n", exitAfterSignal,
					seconds(allReady - signalled));
			assertThat(exitAfterSignal).isLessThan(EXIT_BOUND.toMillis() / 1000.0);
		}
	}

	@Test
	void changesetOutsideATransactionIsFinishedEvenWhenAborting() throws Exception {
		String url = this.postgres.createDatabase();
		Map<String, String> properties = Map.of("spring.liquibase.parameters.slowSeconds", "6", "schemagate.shutdown",
				"abort");
		try (Fleet fleet = Fleet.start("sigterm-concurrently", 2, url, properties)) {
			fleet.awaitRunning(url, SLOW_CHANGESET, READY_BOUND);
			// a transaction that wrote to the table holds CREATE INDEX CONCURRENTLY back until it ends
			try (java.sql.Connection blocker = this.postgres.connect(url)) {
				blocker.setAutoCommit(false);
				try (java.sql.Statement statement = blocker.createStatement()) {
					statement.execute("INSERT INTO greeting (message) VALUES ('blocker')");
				}
				Member leader = fleet.awaitRunning(url, "CREATE INDEX CONCURRENTLY%", READY_BOUND);
				CompletableFuture<Long> exited = exitTime(leader);
				leader.process().destroy();
				Thread.sleep(3000);
				assertThat(leader.process().isAlive()).as("the leader waits for its index").isTrue();
				assertThat(fleet.awaitRunning(url, "CREATE INDEX CONCURRENTLY%", Duration.ofSeconds(1))).isEqualTo(leader);
				blocker.rollback();
				long released = System.nanoTime();
				assertThat(leader.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
				Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
				assertThat(ready).hasSize(1).doesNotContainKey(leader);
				assertMigratedExactlyOnce(url);
				assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM pg_index i JOIN pg_class c "
						+ "ON c.oid = i.indexrelid WHERE c.relname = 'greeting_message_idx' AND i.indisvalid")).isOne();
				assertThat(Fleet.appliedBy(url, "004-index-concurrently")).containsExactly(leader.process().pid());
				System.out.printf("[deploy] leader SIGTERMed in CREATE INDEX CONCURRENTLY with schemagate.shutdown=abort: "
						+ "finished the index, exited %.2f s after it could%n", seconds(exited.get(30, TimeUnit.SECONDS) - released));
			}
		}
	}

	@Test
	void waitingInstanceSignalledExitsAtOnceAndLeavesTheRegistry() throws Exception {
		String url = this.postgres.createDatabase();
		try (Fleet fleet = Fleet.start("sigterm-waiter", 2, url, Map.of("spring.liquibase.parameters.slowSeconds", "15"))) {
			Member leader = fleet.awaitRunning(url, SLOW_CHANGESET, READY_BOUND);
			Fleet.awaitWaiting(url, 1, READY_BOUND);
			Member waiter = fleet.members().stream().filter((member) -> member != leader).findFirst().orElseThrow();
			assertThat(registryRows(url, waiter)).isOne();
			double exit = signalAndTimeExit(waiter);
			assertThat(registryRows(url, waiter)).isZero();
			assertThat(waiter.output()).doesNotContain("Tomcat started").contains("Stopped waiting");
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
			assertThat(ready).containsOnlyKeys(leader);
			assertMigratedExactlyOnce(url);
			System.out.printf("[deploy] waiting instance SIGTERMed: exited %.2f s after the signal%n", exit);
			assertThat(exit).isLessThan(EXIT_BOUND.toMillis() / 1000.0);
		}
	}

	@Test
	void instanceRetryingAnUnreachableDatabaseExitsAtOnce() throws Exception {
		String unreachable = "jdbc:postgresql://127.0.0.1:" + closedPort() + "/sample";
		try (Fleet fleet = Fleet.start("sigterm-unreachable", 1, unreachable, Map.of("schemagate.retry.timeout", "5m"))) {
			Member member = fleet.members().get(0);
			long deadline = System.nanoTime() + READY_BOUND.toNanos();
			while (!member.output().contains("trying again in")) {
				assertThat(System.nanoTime()).as("retrying; see %s", member.log()).isLessThan(deadline);
				Thread.sleep(200);
			}
			double exit = signalAndTimeExit(member);
			System.out.printf("[deploy] instance retrying an unreachable database SIGTERMed: exited %.2f s after the "
					+ "signal%n", exit);
			assertThat(exit).isLessThan(EXIT_BOUND.toMillis() / 1000.0);
		}
	}

	@Test
	void jobSignalledWhileWaitingExitsAtOnce() throws Exception {
		String url = this.postgres.createDatabase();
		try (Fleet leaders = Fleet.start("sigterm-job-leader", 1, url,
				Map.of("spring.liquibase.parameters.slowSeconds", "15"))) {
			leaders.awaitRunning(url, SLOW_CHANGESET, READY_BOUND);
			try (Fleet jobs = Fleet.start("sigterm-job", 1, url,
					Map.of("schemagate.mode", "job", "spring.liquibase.parameters.slowSeconds", "15"))) {
				Fleet.awaitWaiting(url, 1, READY_BOUND);
				Member job = jobs.members().get(0);
				double exit = signalAndTimeExit(job);
				assertThat(job.process().exitValue()).isNotZero();
				assertThat(leaders.awaitReady(READY_BOUND)).hasSize(1);
				assertMigratedExactlyOnce(url);
				System.out.printf("[deploy] job SIGTERMed while waiting: exited %.2f s after the signal (exit code %d)%n",
						exit, job.process().exitValue());
				assertThat(exit).isLessThan(EXIT_BOUND.toMillis() / 1000.0);
			}
		}
	}

	@Test
	void failingChangesetIsAttemptedOnceAndTheWholeFleetStopsWithItsFailure() throws Exception {
		String url = this.postgres.createDatabase();
		this.postgres.executeIn(url, "CREATE SEQUENCE release_attempts");
		Map<String, String> broken = release("no_such_table", 15);
		long firstFailed;
		List<Member> members;
		try (Fleet fleet = Fleet.start("failing-release", 4, url, broken)) {
			members = fleet.members();
			fleet.awaitRunning(url, SLOW_CHANGESET, READY_BOUND);
			Fleet.awaitWaiting(url, 3, READY_BOUND);
			assertThat(failures(url)).as("the others wait before the leader fails").isZero();
			firstFailed = awaitRow(url, "SELECT count(*) FROM schemagate_history WHERE outcome = 'FAILED'",
					Duration.ofMinutes(1));
			Map<Member, Long> exits = new LinkedHashMap<>();
			for (Member member : members) {
				assertThat(member.process().waitFor(60, TimeUnit.SECONDS)).as("stopped; see %s", member.log()).isTrue();
				exits.put(member, System.nanoTime());
			}
			double lastExit = seconds(exits.values().stream().mapToLong(Long::longValue).max().orElseThrow() - firstFailed);
			// attempted once: each attempt took a number from the sequence, whatever it rolled back
			assertThat(this.postgres.queryLong(url, "SELECT last_value FROM release_attempts")).isOne();
			assertThat(failures(url)).isOne();
			assertThat(Fleet.auditRows(url)).doesNotContainKey("release");
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog WHERE id = '900-release-backfill'"))
				.isZero();
			assertNothingHeld(url);
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM schemagate_instance")).isZero();
			List<Member> waited = members.stream()
				.filter((member) -> outputOf(member).contains("failed on instance"))
				.toList();
			assertThat(waited).hasSize(3).allSatisfy((member) -> assertThat(outputOf(member))
				.contains("APPLICATION FAILED TO START", "relation \"no_such_table\" does not exist"));
			System.out.printf("[deploy] failing release (15 s changeset), 4 instances: attempted once, every instance "
					+ "stopped within %.2f s of the leader's failure%n", lastExit);
			assertThat(lastExit).isLessThan(15);
		}
		// the next rollout, with the changeset fixed, migrates without anyone clearing anything
		try (Fleet fleet = Fleet.start("fixed-release", 2, url, release("migration_audit", 1))) {
			assertThat(fleet.awaitReady(READY_BOUND)).hasSize(2);
			assertThat(this.postgres.queryLong(url, "SELECT last_value FROM release_attempts")).isEqualTo(2);
			assertThat(Fleet.auditRows(url)).containsEntry("release", 1L).containsEntry("release-done", 1L);
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog WHERE id = '900-release-backfill'"))
				.isOne();
		}
	}

	@Test
	void leaderWhoseSessionIsTerminatedMidChangesetIsStillRetriedByTheNext() throws Exception {
		String url = this.postgres.createDatabase();
		try (Fleet fleet = Fleet.start("terminated-leader", 2, url, Map.of("spring.liquibase.parameters.slowSeconds", "10"))) {
			Member leader = fleet.awaitRunning(url, SLOW_CHANGESET, READY_BOUND);
			Fleet.awaitWaiting(url, 1, READY_BOUND);
			this.postgres.queryLong(url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
					+ "WHERE datname = current_database() AND state = 'active' AND query ILIKE 'SELECT pg_sleep%'");
			Map<Member, Duration> ready = fleet.awaitReady(READY_BOUND);
			assertThat(ready).hasSize(2);
			assertMigratedExactlyOnce(url);
			assertThat(failures(url)).isZero();
			assertThat(this.postgres.queryString(url, "SELECT string_agg(outcome, ',' ORDER BY id) FROM schemagate_history "
					+ "WHERE changeset_id = '003-slow-backfill'")).endsWith("APPLIED");
			assertThat(leader.process().isAlive()).isTrue();
		}
	}

	private Map<String, String> release(String table, int seconds) {
		Map<String, String> properties = new HashMap<>();
		properties.put("spring.liquibase.change-log",
				Path.of("target", "test-classes", "db", "release", "release.xml").toAbsolutePath().toUri().toString());
		properties.put("spring.liquibase.parameters.releaseTable", table);
		properties.put("spring.liquibase.parameters.releaseSeconds", Integer.toString(seconds));
		// the included sample changelog's slow changeset, so that the fleet waits behind the leader
		properties.put("spring.liquibase.parameters.slowSeconds", "2");
		return properties;
	}

	private long failures(String url) throws Exception {
		return this.postgres.queryLong(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'schemagate_history'") == 0
				? 0 : this.postgres.queryLong(url, "SELECT count(*) FROM schemagate_history WHERE outcome = 'FAILED'");
	}

	private static String outputOf(Member member) {
		try {
			return member.output();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	// the signal, then the seconds until the JVM is gone
	private static double signalAndTimeExit(Member member) throws Exception {
		CompletableFuture<Long> exited = exitTime(member);
		long signalled = System.nanoTime();
		member.process().destroy();
		return seconds(exited.get(30, TimeUnit.SECONDS) - signalled);
	}

	// when the JVM was seen gone
	private static CompletableFuture<Long> exitTime(Member member) {
		return member.process().onExit().thenApply((process) -> System.nanoTime());
	}

	// when a query first counted a row
	private long awaitRow(String url, String countQuery, Duration timeout) throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			if (this.postgres.queryLong(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'schemagate_history'") > 0
					&& this.postgres.queryLong(url, countQuery) > 0) {
				return System.nanoTime();
			}
			assertThat(System.nanoTime()).as("%s found a row within %s", countQuery, timeout).isLessThan(deadline);
			Thread.sleep(20);
		}
	}

	private long registryRows(String url, Member member) throws Exception {
		return this.postgres.queryLong(url, "SELECT count(*) FROM schemagate_instance WHERE pid = " + member.process().pid());
	}

	private void assertMigratedExactlyOnce(String url) throws Exception {
		assertThat(Fleet.auditRows(url)).containsExactlyInAnyOrderEntriesOf(Map.of("seed", 1L, "slow", 1L, "after-index", 1L));
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog")).isEqualTo(6);
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'greeting_message_idx'"))
			.isOne();
		assertNothingHeld(url);
	}

	private void assertNothingHeld(String url) throws Exception {
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM INT_LOCK")).isZero();
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangeloglock WHERE locked")).isZero();
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
				+ "WHERE l.locktype = 'advisory' AND d.datname = current_database()")).isZero();
	}

	private static int closedPort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	private static double seconds(long nanos) {
		return nanos / 1e9;
	}

}
