package dev.schemagate.sample.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.jayway.jsonpath.JsonPath;
import dev.schemagate.sample.fleet.Fleet.Member;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Rolling deploys of the sample app from version 1 to version 2, one instance at a time,
 * under traffic routed as a load balancer routes it. Version 2 renames {@code sender.name}
 * to {@code display_name}: its expand changeset runs at its first start, its contract
 * changeset (labelled {@code contract}) drops {@code name}, which version 1 reads, once no
 * version 1 instance lives.
 */
class RollingDeployIT {

	private static final Duration READY_BOUND = Duration.ofMinutes(3);

	private static final Duration CHECK_INTERVAL = Duration.ofSeconds(2);

	private static final Duration EXPIRY = Duration.ofSeconds(6);

	private final TestPostgres postgres = TestPostgres.get();

	private final List<Fleet> started = new ArrayList<>();

	@AfterEach
	void stopInstances() {
		this.started.forEach(Fleet::close);
	}

	@Test
	void versionOneServesThroughoutAndTheContractRunsOnceItsLastInstanceStops() throws Exception {
		String url = this.postgres.createDatabase();
		Member v1a = start("rolling-contract-v1-a", url, 1);
		Member v1b = start("rolling-contract-v1-b", url, 1);
		try (LoadBalancer balancer = new LoadBalancer("/senders", "Ada")) {
			balancer.register(v1a, "1");
			balancer.register(v1b, "1");
			awaitReady(v1a, v1b);
			Member v2a = start("rolling-contract-v2-a", url, 2);
			awaitReady(v2a);
			balancer.register(v2a, "2");
			// expanded: version 2's column is there, version 1's too
			assertThat(senderColumns(url)).isEqualTo("display_name,id,name");
			Thread.sleep(2 * CHECK_INTERVAL.toMillis() + 500);
			assertThat(senderColumns(url)).as("the contract waits for version 1").contains("name");
			String health = v2a.get("/actuator/health");
			String contracts = "$.components.schemagate.details.liquibase.contracts.";
			assertThat(JsonPath.<List<String>>read(health, contracts + "pending"))
				.containsExactly("010-v2-drop-sender-name");
			assertThat(JsonPath.<List<String>>read(health, contracts + "heldBackBy")).hasSize(2)
				.allSatisfy((holder) -> assertThat(holder).contains("version 1"));
			// both versions write while both run: the expand changeset keeps the columns in step
			assertThat(v1a.post("/senders", "Edsger")).isEqualTo(200);
			assertThat(v2a.post("/senders", "Barbara")).isEqualTo(200);
			stop(balancer, v1a);
			Member v2b = start("rolling-contract-v2-b", url, 2);
			awaitReady(v2b);
			balancer.register(v2b, "2");
			assertThat(senderColumns(url)).contains("name");
			stop(balancer, v1b);
			long lastStopped = System.nanoTime();
			awaitColumns(url, "display_name,id", Duration.ofSeconds(30));
			double contractAfter = (System.nanoTime() - lastStopped) / 1e9;
			// version 2 keeps serving after the contract
			Thread.sleep(2000);
			balancer.close();
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM sender WHERE display_name IS NULL")).isZero();
			assertThat(v2b.get("/senders")).contains("Ada", "Grace", "Edsger", "Barbara");
			assertThat(this.postgres.queryLong(url,
					"SELECT count(*) FROM databasechangelog WHERE id = '010-v2-drop-sender-name'")).isOne();
			System.out.printf("[rolling] expand/contract under traffic: %d requests (version 1: %d, version 2: %d), "
					+ "%d failed; contract applied %.1f s after the last version 1 instance stopped (check interval "
					+ "%d s)%n", balancer.requests(), balancer.requests("1"), balancer.requests("2"),
					balancer.failures().size(), contractAfter, CHECK_INTERVAL.toSeconds());
			assertThat(balancer.failures()).isEmpty();
			assertThat(balancer.requests("1")).isGreaterThan(100);
			assertThat(balancer.requests("2")).isGreaterThan(100);
			// the contract runs at the first check after the record is gone
			assertThat(contractAfter).isLessThan(CHECK_INTERVAL.toSeconds() + 10);
		}
	}

	@Test
	void rollbackDeployKeepsVersionTwosSchemaUntilItsLastInstanceIsGoneThenRollsItBackOnce() throws Exception {
		String url = this.postgres.createDatabase();
		// the contract is left for later (a job, say): version 1 can still serve on the schema
		Map<String, String> v2 = Map.of("schemagate.downgrade.enabled", "true", "schemagate.contract.check-interval", "0");
		Map<String, String> v1 = Map.of("schemagate.downgrade.enabled", "true");
		Member v1a = start("rollback-v1-a", url, 1, v1);
		Member v1b = start("rollback-v1-b", url, 1, v1);
		try (LoadBalancer balancer = new LoadBalancer("/senders", "Ada")) {
			balancer.register(v1a, "1");
			balancer.register(v1b, "1");
			awaitReady(v1a, v1b);
			Member v2a = start("rollback-v2-a", url, 2, v2);
			awaitReady(v2a);
			balancer.register(v2a, "2");
			stop(balancer, v1a);
			Member v2b = start("rollback-v2-b", url, 2, v2);
			awaitReady(v2b);
			balancer.register(v2b, "2");
			stop(balancer, v1b);
			// version 2 serves alone and writes into its new column
			assertThat(v2a.post("/senders", "Barbara")).isEqualTo(200);
			assertThat(displayName(url, "Barbara")).isEqualTo("Barbara");
			// the rollback deploy: version 1 replaces version 2 one instance at a time
			Member v1c = start("rollback-v1-c", url, 1, v1);
			awaitReady(v1c);
			balancer.register(v1c, "1");
			String health = v1c.get("/actuator/health");
			String downgrade = "$.components.schemagate.details.liquibase.downgradePending.";
			assertThat(JsonPath.<List<String>>read(health, downgrade + "changesets"))
				.containsExactly("006-v2-backfill", "008-v2-sender-display-name", "009-v2-backfill-display-name");
			assertThat(JsonPath.<List<String>>read(health, downgrade + "heldBackBy")).hasSize(2)
				.allSatisfy((holder) -> assertThat(holder).contains("version 2"));
			assertThat(v1c.post("/senders", "Edsger")).isEqualTo(200);
			stop(balancer, v2a);
			Member v1d = start("rollback-v1-d", url, 1, v1);
			awaitReady(v1d);
			balancer.register(v1d, "1");
			Thread.sleep(2 * CHECK_INTERVAL.toMillis() + 500);
			// what version 2 wrote stays while an instance of it runs
			assertThat(senderColumns(url)).isEqualTo("display_name,id,name");
			assertThat(displayName(url, "Barbara")).isEqualTo("Barbara");
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM migration_audit WHERE note = 'v2-rolled-back'"))
				.isZero();
			int failedWhileBothRan = balancer.failures().size();
			stop(balancer, v2b);
			long lastStopped = System.nanoTime();
			awaitColumns(url, "id,name", Duration.ofSeconds(30));
			double downgradeAfter = (System.nanoTime() - lastStopped) / 1e9;
			Thread.sleep(2000);
			balancer.close();
			// rolled back once, by one of the two version 1 instances
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM migration_audit WHERE note = 'v2-rolled-back'"))
				.isOne();
			assertThat(this.postgres.queryString(url, "SELECT string_agg(id, ',' ORDER BY orderexecuted) "
					+ "FROM databasechangelog WHERE id LIKE '%v2%'")).isNull();
			assertThat(v1d.get("/senders")).contains("Ada", "Grace", "Barbara", "Edsger");
			assertThat(v1c.isReady()).isTrue();
			assertThat(v1d.isReady()).isTrue();
			System.out.printf("[rolling] rollback deploy under traffic: %d requests (version 1: %d, version 2: %d), "
					+ "%d failed; version 2's changesets rolled back %.1f s after its last instance stopped (check "
					+ "interval %d s)%n", balancer.requests(), balancer.requests("1"), balancer.requests("2"),
					balancer.failures().size(), downgradeAfter, CHECK_INTERVAL.toSeconds());
			assertThat(failedWhileBothRan).isZero();
			assertThat(balancer.failures()).isEmpty();
			assertThat(balancer.requests("2")).isGreaterThan(100);
			assertThat(downgradeAfter).isLessThan(CHECK_INTERVAL.toSeconds() + 5);
		}
	}

	@Test
	void versionOneInstanceRestartedDuringARolloutRollsNothingBack() throws Exception {
		String url = this.postgres.createDatabase();
		Map<String, String> downgrade = Map.of("schemagate.downgrade.enabled", "true");
		Member v1a = start("restart-v1-a", url, 1, downgrade);
		Member v1b = start("restart-v1-b", url, 1, downgrade);
		awaitReady(v1a, v1b);
		Member v2a = start("restart-v2-a", url, 2, downgrade);
		awaitReady(v2a);
		v1a.process().destroy();
		assertThat(v1a.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
		long changesets = this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog");
		// the pod of version 1 that is not replaced yet is replaced by a new one of version 1,
		// started before the old one stops so that the contract keeps waiting throughout
		Member restarted = start("restart-v1-b-again", url, 1, downgrade);
		awaitReady(restarted);
		v1b.process().destroy();
		assertThat(v1b.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
		Thread.sleep(2 * CHECK_INTERVAL.toMillis() + 500);
		assertThat(senderColumns(url)).isEqualTo("display_name,id,name");
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog")).isEqualTo(changesets);
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM migration_audit WHERE note = 'v2-rolled-back'"))
			.isZero();
		assertThat(restarted.isReady()).isTrue();
		assertThat(v2a.isReady()).isTrue();
		// version 2's contract still waits for the restarted version 1 instance
		assertThat(JsonPath.<List<String>>read(v2a.get("/actuator/health"),
				"$.components.schemagate.details.liquibase.contracts.heldBackBy")).singleElement()
			.asString()
			.contains("pid " + restarted.process().pid());
	}

	// the same rollout's first step with version 2 migrating by Liquibase alone, to show what
	// the load balancer's count sees when the contract does not wait
	@Test
	void withoutTheGateTheFirstVersionTwoStartDropsWhatVersionOneReads() throws Exception {
		String url = this.postgres.createDatabase();
		Member v1a = start("rolling-plain-v1-a", url, 1);
		Member v1b = start("rolling-plain-v1-b", url, 1);
		try (LoadBalancer balancer = new LoadBalancer("/senders", "Ada")) {
			balancer.register(v1a, "1");
			balancer.register(v1b, "1");
			awaitReady(v1a, v1b);
			Member v2a = start("rolling-plain-v2-a", url, 2, Map.of("schemagate.enabled", "false"));
			awaitReady(v2a);
			balancer.register(v2a, "2");
			assertThat(senderColumns(url)).isEqualTo("display_name,id");
			Thread.sleep(3000);
			balancer.close();
			System.out.printf("[rolling] version 2 without schemagate: %d requests (version 1: %d, version 2: %d), "
					+ "%d failed%n", balancer.requests(), balancer.requests("1"), balancer.requests("2"),
					balancer.failures().size());
			assertThat(balancer.failures()).isNotEmpty().allSatisfy((failure) -> assertThat(failure).startsWith("version 1"));
		}
	}

	@Test
	void aKilledVersionOneInstanceHoldsTheContractBackUntilItsHeartbeatExpires() throws Exception {
		String url = this.postgres.createDatabase();
		Member v1 = start("killed-contract-v1", url, 1);
		awaitReady(v1);
		Member v2 = start("killed-contract-v2", url, 2);
		awaitReady(v2);
		Thread.sleep(CHECK_INTERVAL.toMillis() + 500);
		assertThat(senderColumns(url)).isEqualTo("display_name,id,name");
		Fleet.signal(v1, "KILL");
		v1.process().waitFor(10, TimeUnit.SECONDS);
		long killed = System.nanoTime();
		awaitColumns(url, "display_name,id", Duration.ofSeconds(60));
		double contractAfter = (System.nanoTime() - killed) / 1e9;
		System.out.printf("[rolling] version 1 SIGKILLed: contract applied %.1f s later (expiry %d s, check "
				+ "interval %d s)%n", contractAfter, EXPIRY.toSeconds(), CHECK_INTERVAL.toSeconds());
		// its record was not removed: it expired, at most one heartbeat interval short of the expiry
		assertThat(contractAfter).isGreaterThan(EXPIRY.toSeconds() - 1.5);
		assertThat(v2.isReady()).isTrue();
	}

	@Test
	void aFrozenVersionOneInstanceStopsHoldingTheContractBackAndRefusesTrafficWhenItResumes() throws Exception {
		String url = this.postgres.createDatabase();
		Member v1 = start("frozen-contract-v1", url, 1);
		awaitReady(v1);
		Member v2 = start("frozen-contract-v2", url, 2);
		awaitReady(v2);
		Fleet.signal(v1, "STOP");
		try {
			awaitColumns(url, "display_name,id", Duration.ofSeconds(60));
		}
		finally {
			Fleet.signal(v1, "CONT");
		}
		// resumed: its heartbeat finds its record expired, its readiness the contract it predates
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (v1.isReady() && System.nanoTime() < deadline) {
			Thread.sleep(200);
		}
		assertThat(v1.isReady()).as("version 1 refuses traffic on the contracted schema").isFalse();
		String health = v1.get("/actuator/health");
		String details = "$.components.schemagate.details.liquibase.";
		assertThat(JsonPath.<String>read(health, details + "state")).isEqualTo("CONTRACTED");
		assertThat(JsonPath.<List<String>>read(health, details + "aheadContracts"))
			.containsExactly("010-v2-drop-sender-name");
		assertThat(JsonPath.<String>read(health, details + "lapsed")).contains("counted as gone");
		assertThat(v2.isReady()).isTrue();
	}

	@Test
	void aVersionOneInstanceCutOffFromTheDatabaseStopsHoldingTheContractBackAndRefusesTrafficOnceBack()
			throws Exception {
		assumeTrue(NetworkNamespace.available(), "cutting an instance off needs root and iproute2 (ip netns)");
		String url = this.postgres.createDatabase();
		this.postgres.allowClients(NetworkNamespace.NETWORK);
		String urlFromNamespace = url.replaceFirst("//[^/:]+", "//" + NetworkNamespace.HOST_ADDRESS);
		try (NetworkNamespace namespace = NetworkNamespace.create()) {
			Fleet cutOff = Fleet.start("cut-contract-v1", 1, urlFromNamespace, properties(1, Map.of()),
					namespace.launcher(), NetworkNamespace.GUEST_ADDRESS);
			this.started.add(cutOff);
			Member v1 = cutOff.members().get(0);
			awaitReady(v1);
			Member v2 = start("cut-contract-v2", url, 2);
			awaitReady(v2);
			Thread.sleep(CHECK_INTERVAL.toMillis() + 500);
			assertThat(senderColumns(url)).isEqualTo("display_name,id,name");
			// no FIN, no RST: only its heartbeat's expiry tells that it is gone
			namespace.cut();
			long cut = System.nanoTime();
			awaitColumns(url, "display_name,id", Duration.ofSeconds(60));
			double contractAfter = (System.nanoTime() - cut) / 1e9;
			namespace.heal();
			long healed = System.nanoTime();
			long deadline = healed + Duration.ofMinutes(4).toNanos();
			while (v1.isReady() || !v1.isReachable()) {
				assertThat(System.nanoTime()).as("version 1 refused traffic once reconnected; see %s", v1.log())
					.isLessThan(deadline);
				Thread.sleep(250);
			}
			double refusedAfter = (System.nanoTime() - healed) / 1e9;
			String health = v1.get("/actuator/health");
			String details = "$.components.schemagate.details.liquibase.";
			assertThat(JsonPath.<String>read(health, details + "state")).isEqualTo("CONTRACTED");
			System.out.printf("[rolling] version 1 cut off: contract applied %.1f s after the cut (expiry %d s); "
					+ "version 1 refused traffic %.1f s after the heal%n", contractAfter, EXPIRY.toSeconds(),
					refusedAfter);
			assertThat(v2.isReady()).isTrue();
		}
	}

	private Member start(String name, String url, int version) throws Exception {
		return start(name, url, version, Map.of());
	}

	private Member start(String name, String url, int version, Map<String, String> extra) throws Exception {
		Fleet fleet = Fleet.start(name, 1, url, properties(version, extra));
		this.started.add(fleet);
		return fleet.members().get(0);
	}

	// what a test gives overrides the defaults
	private static Map<String, String> properties(int version, Map<String, String> extra) {
		Map<String, String> properties = new HashMap<>();
		properties.put("schemagate.contract.check-interval", CHECK_INTERVAL.toMillis() + "ms");
		properties.put("schemagate.fleet.heartbeat-interval", "1s");
		properties.put("schemagate.fleet.expiry", EXPIRY.toSeconds() + "s");
		properties.put("schemagate.readiness.check-interval", "1s");
		if (version == 2) {
			properties.put("spring.profiles.active", "v2");
		}
		properties.putAll(extra);
		return properties;
	}

	private void awaitReady(Member... members) throws InterruptedException {
		long deadline = System.nanoTime() + READY_BOUND.toNanos();
		for (Member member : members) {
			while (!member.isReady()) {
				assertThat(member.process().isAlive()).as("instance %s alive; see %s", member.index(), member.log())
					.isTrue();
				assertThat(System.nanoTime()).as("ready within %s; see %s", READY_BOUND, member.log())
					.isLessThan(deadline);
				Thread.sleep(200);
			}
		}
	}

	// drained first, then stopped gracefully, as a deploy replaces it
	private static void stop(LoadBalancer balancer, Member member) throws InterruptedException {
		balancer.drain(member);
		member.process().destroy();
		assertThat(member.process().waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
	}

	private void awaitColumns(String url, String columns, Duration timeout) throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (!columns.equals(senderColumns(url))) {
			assertThat(System.nanoTime()).as("sender's columns became %s within %s", columns, timeout)
				.isLessThan(deadline);
			Thread.sleep(100);
		}
	}

	private String displayName(String url, String name) throws Exception {
		return this.postgres.queryString(url, "SELECT display_name FROM sender WHERE name = '" + name + "'");
	}

	private String senderColumns(String url) throws Exception {
		return this.postgres.queryString(url, "SELECT string_agg(column_name, ',' ORDER BY column_name) "
				+ "FROM information_schema.columns WHERE table_name = 'sender'");
	}

}
