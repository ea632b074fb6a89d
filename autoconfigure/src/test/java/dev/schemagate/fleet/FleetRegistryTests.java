package dev.schemagate.fleet;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import dev.schemagate.fleet.FleetRegistry.Member;
import dev.schemagate.fleet.FleetRegistry.Registration;
import dev.schemagate.gate.Instance;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * Tests for {@link FleetRegistry}: instances record themselves, renew a heartbeat, expire by
 * the database's clock when they stop renewing it, and find out when they did.
 */
class FleetRegistryTests {

	private static final Duration NEVER = Duration.ofHours(1);

	private final TestPostgres postgres = TestPostgres.get();

	private final List<AutoCloseable> closing = new ArrayList<>();

	private String url;

	private HikariDataSource pool;

	@BeforeEach
	void createDatabase() {
		this.url = this.postgres.createDatabase();
		this.pool = this.postgres.pool(this.url, 3);
	}

	@AfterEach
	void close() throws Exception {
		for (AutoCloseable closeable : this.closing) {
			closeable.close();
		}
		this.pool.close();
	}

	@Test
	void instancesRecordTheirVersionAndWhatTheirChangelogHolds() throws Exception {
		Instance v1 = Instance.current("1.0");
		Instance v2 = Instance.current("2.0");
		register(v1, new Registration("005-after-index", List.of()), NEVER, Duration.ofSeconds(30));
		FleetRegistry second = register(v2, new Registration("007-drop-note", List.of("007-drop-note:sample")), NEVER,
				Duration.ofSeconds(30));
		List<Member> live = second.live();
		assertThat(live).extracting(Member::instanceId, Member::appVersion, Member::changelogHead, Member::contracts,
				Member::self)
			.containsExactly(tuple(v1.id(), "1.0", "005-after-index", List.of(), false),
					tuple(v2.id(), "2.0", "007-drop-note",
							List.of("007-drop-note:sample"), true));
		assertThat(live.get(1).host()).isEqualTo(v2.host());
		assertThat(live.get(1).pid()).isEqualTo(ProcessHandle.current().pid());
	}

	@Test
	void anInstanceThatStopsRenewingExpiresAndFindsOutWhenItResumes() throws Exception {
		Instance frozen = Instance.current("1.0");
		FleetRegistry registry = register(frozen, new Registration("1", List.of()), NEVER, Duration.ofSeconds(1));
		assertThat(registry.live()).extracting(Member::instanceId).containsExactly(frozen.id());
		Thread.sleep(1500);
		assertThat(registry.live()).isEmpty();
		assertThat(registry.lapsed()).isFalse();
		registry.beat();
		assertThat(registry.lapsed()).isTrue();
		assertThat(registry.live()).extracting(Member::instanceId).containsExactly(frozen.id());
	}

	@Test
	void theHeartbeatKeepsAnInstanceAlive() throws Exception {
		Instance alive = Instance.current(null);
		FleetRegistry registry = register(alive, new Registration(null, List.of()), Duration.ofMillis(200),
				Duration.ofSeconds(1));
		Thread.sleep(2500);
		assertThat(registry.live()).extracting(Member::instanceId).containsExactly(alive.id());
		assertThat(registry.lapsed()).isFalse();
	}

	@Test
	void closingRemovesTheRecord() throws Exception {
		Instance leaving = Instance.current(null);
		Instance staying = Instance.current(null);
		FleetRegistry left = FleetRegistry.register(this.pool, "SCHEMAGATE_", "databasechangelog", leaving,
				new Registration(null, List.of()), NEVER, Duration.ofSeconds(30), null);
		FleetRegistry stays = register(staying, new Registration(null, List.of()), NEVER, Duration.ofSeconds(30));
		left.close();
		assertThat(stays.live()).extracting(Member::instanceId).containsExactly(staying.id());
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM schemagate_instance")).isOne();
	}

	@Test
	void theInstancesThatKnowAChangesetAreThoseWhoseChangelogHasIt() throws Exception {
		Instance v1 = Instance.current("1");
		Instance v2 = Instance.current("2");
		Instance unrecorded = Instance.current("1");
		FleetRegistry mine = register(v1, new Registration("1", List.of(), List.of("1:a")), NEVER, Duration.ofSeconds(30));
		register(v2, new Registration("2", List.of(), List.of("1:a", "2:a")), NEVER, Duration.ofSeconds(30));
		register(unrecorded, new Registration("1", List.of(), List.of("1:a")), NEVER, Duration.ofSeconds(30));
		try (Connection connection = this.pool.getConnection()) {
			assertThat(mine.knowing(connection, List.of("2:a"))).extracting(Member::instanceId)
				.containsExactly(v2.id());
			assertThat(mine.knowing(connection, List.of("3:a"))).isEmpty();
			// a row written without its changesets counts as knowing every one
			this.postgres.executeIn(this.url,
					"UPDATE schemagate_instance SET changesets = NULL WHERE instance_id = '" + unrecorded.id() + "'");
			assertThat(mine.knowing(connection, List.of("3:a"))).extracting(Member::instanceId)
				.containsExactly(unrecorded.id());
		}
	}

	@Test
	void aRegistryTableOfAnEarlierVersionGainsTheColumnOfChangesets() throws Exception {
		register(Instance.current("1"), new Registration("1", List.of()), NEVER, Duration.ofSeconds(30));
		this.postgres.executeIn(this.url, "ALTER TABLE schemagate_instance DROP COLUMN changesets");
		Instance next = Instance.current("2");
		register(next, new Registration("2", List.of(), List.of("1:a", "2:a")), NEVER, Duration.ofSeconds(30));
		assertThat(this.postgres.queryString(this.url, "SELECT array_to_string(changesets, ',') FROM schemagate_instance "
				+ "WHERE instance_id = '" + next.id() + "'")).isEqualTo("1:a,2:a");
	}

	@Test
	void anotherLockKeyIsAnotherFleet() throws Exception {
		this.closing.add(FleetRegistry.register(this.pool, "SCHEMAGATE_", "billing.databasechangelog",
				Instance.current(null), new Registration(null, List.of()), NEVER, Duration.ofSeconds(30), null));
		FleetRegistry mine = register(Instance.current(null), new Registration(null, List.of()), NEVER,
				Duration.ofSeconds(30));
		assertThat(mine.live()).extracting(Member::self).containsExactly(true);
	}

	private FleetRegistry register(Instance instance, Registration registration, Duration interval, Duration expiry)
			throws Exception {
		FleetRegistry registry = FleetRegistry.register(this.pool, "SCHEMAGATE_", "databasechangelog", instance,
				registration, interval, expiry, null);
		this.closing.add(registry);
		return registry;
	}

}
