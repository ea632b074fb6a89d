package dev.schemagate.autoconfigure;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.schemagate.autoconfigure.SchemaGates.SchemaGate;
import dev.schemagate.autoconfigure.health.SchemagateHealthIndicator;
import dev.schemagate.fleet.FleetMembership;
import dev.schemagate.fleet.FleetRegistry;
import dev.schemagate.fleet.FleetRegistry.Member;
import dev.schemagate.fleet.FleetRegistry.Registration;
import dev.schemagate.gate.Instance;
import dev.schemagate.liquibase.ContractGuard;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import dev.schemagate.test.TestPostgres;
import liquibase.Labels;
import liquibase.Liquibase;
import liquibase.changelog.ChangeSet;
import liquibase.exception.LiquibaseException;
import liquibase.integration.spring.Customizer;
import liquibase.integration.spring.SpringLiquibase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for contract changesets: version 2 adds a column (expand) and drops the one version
 * 1 reads (contract, labelled {@code contract}); the contract waits while an instance of
 * version 1 lives.
 */
class ContractChangesetTests {

	private final TestPostgres postgres = TestPostgres.get();

	private String url;

	private ApplicationContextRunner versionOne;

	private ApplicationContextRunner versionTwo;

	@BeforeEach
	void createDatabase() {
		this.url = this.postgres.createDatabase();
		ApplicationContextRunner runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LiquibaseAutoConfiguration.class, ApplicationAvailabilityAutoConfiguration.class,
					SchemagateAutoConfiguration.class))
			.withPropertyValues(this.postgres.applicationProperties(this.url))
			.withPropertyValues("schemagate.contract.check-interval=0", "schemagate.readiness.check-interval=0");
		this.versionOne = runner.withPropertyValues("spring.application.version=1");
		this.versionTwo = runner.withPropertyValues("spring.application.version=2",
				"spring.liquibase.change-log=classpath:db/test/contract-v2.xml");
	}

	@Test
	void theContractWaitsForTheLastInstanceOfTheVersionBeforeAndRunsOnceItStops() {
		this.versionOne.run((v1) -> {
			this.versionTwo.run((v2) -> {
				assertThat(v2).hasNotFailed();
				// the expand changeset ran at start, the contract did not
				assertThat(columns()).isEqualTo("note,remark");
				ContractPhase contracts = gate(v2).contracts();
				assertThat(contracts.applyIfAllowed()).isFalse();
				assertThat(contracts.pending()).extracting(ChangesetRef::id).containsExactly("6-drop-note");
				assertThat(contracts.holders()).extracting(Member::appVersion).containsExactly("1");
				Map<String, Object> details = details(v2);
				assertThat(details).containsEntry("contracts", Map.of("pending", List.of("6-drop-note"), "heldBackBy",
						List.of(contracts.holders().get(0).toString())));
				v1.close();
				assertThat(contracts.applyIfAllowed()).isTrue();
				assertThat(columns()).isEqualTo("remark");
				assertThat(contracts.pending()).isEmpty();
				assertThat(details(v2)).doesNotContainKey("contracts");
			});
		});
	}

	@Test
	void theScheduleAppliesTheContractWithinACheckIntervalOfTheLastOldInstanceStopping() throws Exception {
		this.versionOne.run((v1) -> this.versionTwo.withPropertyValues("schemagate.contract.check-interval=200ms")
			.run((v2) -> {
				v2.publishEvent(new ApplicationReadyEvent(new SpringApplication(), new String[0], v2, Duration.ZERO));
				Thread.sleep(1000);
				assertThat(columns()).isEqualTo("note,remark");
				v1.close();
				long stopped = System.nanoTime();
				while (!"remark".equals(columns()) && System.nanoTime() - stopped < TimeUnit.SECONDS.toNanos(5)) {
					Thread.sleep(50);
				}
				assertThat(columns()).isEqualTo("remark");
			}));
	}

	@Test
	void anInstanceOfTheVersionBeforeThatStartsAfterTheContractRefusesTraffic() {
		this.versionTwo.run((v2) -> assertThat(gate(v2).contracts().applyIfAllowed()).isTrue());
		this.versionOne.run((v1) -> {
			assertThat(v1).hasNotFailed();
			assertThat(readinessAfterCheck(v1)).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
			Health health = new SchemagateHealthIndicator(v1.getBean(SchemaGates.class)).health(true);
			assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
			assertThat(details(v1)).containsEntry("state", "CONTRACTED")
				.containsEntry("aheadContracts", List.of("6-drop-note"));
		});
	}

	@Test
	void anInstanceFrozenLongerThanTheExpiryNoLongerHoldsTheContractBackAndFindsOutWhenItResumes() {
		// version 1 stops renewing its heartbeat, as a frozen process does, until the test renews it
		this.versionOne.withPropertyValues("schemagate.fleet.heartbeat-interval=1h", "schemagate.fleet.expiry=1s")
			.run((v1) -> this.versionTwo.withPropertyValues("schemagate.fleet.expiry=1s").run((v2) -> {
				Thread.sleep(1200);
				assertThat(gate(v2).contracts().applyIfAllowed()).isTrue();
				assertThat(columns()).isEqualTo("remark");
				assertThat(gate(v1).fleet().lapsed()).isFalse();
				// resumed: its heartbeat finds its record expired, by version 2's expiry of 1 s
				gate(v1).fleet().renew();
				assertThat(gate(v1).fleet().lapsed()).isTrue();
				assertThat(readinessAfterCheck(v1)).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
				assertThat(details(v1)).containsKey("lapsed").containsEntry("state", "CONTRACTED");
			}));
	}

	@Test
	void anInstanceWhoseContextsLeaveTheContractOutHoldsItBackAndRefusesTrafficOnceItIsApplied() {
		ApplicationContextRunner bothVersions = this.versionOne
			.withPropertyValues("spring.liquibase.change-log=classpath:db/test/contract-contexts.xml");
		bothVersions.withPropertyValues("spring.liquibase.contexts=v1").run((v1) -> {
			assertThat(columns()).isEqualTo("note");
			bothVersions.withPropertyValues("spring.liquibase.contexts=v1,v2", "spring.application.version=2")
				.run((v2) -> {
					assertThat(v2).hasNotFailed();
					assertThat(columns()).isEqualTo("note,remark");
					ContractPhase contracts = gate(v2).contracts();
					assertThat(contracts.applyIfAllowed()).isFalse();
					assertThat(contracts.holders()).extracting(Member::appVersion).containsExactly("1");
					// the same changelog, but version 1's contexts do not select the contract
					assertThat(gate(v1).contracts().known()).isEmpty();
					assertThat(contracts.known()).extracting(ChangesetRef::id).containsExactly("6-drop-note");
					// only version 2 applies it: version 1 finds nothing pending
					gate(v1).contracts().applyIfAllowed();
					assertThat(gate(v1).contracts().pending()).isEmpty();
					assertThat(columns()).isEqualTo("note,remark");
					// as if version 1 had stopped: its record is gone, it still runs here
					gate(v1).fleet().leave();
					assertThat(contracts.applyIfAllowed()).isTrue();
					assertThat(columns()).isEqualTo("remark");
					assertThat(readinessAfterCheck(v2)).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
					assertThat(readinessAfterCheck(v1)).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
					assertThat(details(v1)).containsEntry("aheadContracts", List.of("6-drop-note"));
				});
		});
	}

	@Test
	void anInstanceInWaitModeReadsThePendingContractButLeavesItToTheMigrator() {
		this.versionTwo.run((migrator) -> this.versionTwo.withPropertyValues("schemagate.mode=wait").run((waiting) -> {
			assertThat(waiting).hasNotFailed();
			waiting.getBean(ContractSchedule.class).check();
			assertThat(gate(waiting).contracts().pending()).extracting(ChangesetRef::id).containsExactly("6-drop-note");
			assertThat(gate(waiting).contracts().holders()).isEmpty();
			assertThat(columns()).isEqualTo("note,remark");
			migrator.getBean(ContractSchedule.class).check();
			assertThat(columns()).isEqualTo("remark");
		}));
	}

	@Test
	void aFailingContractChangesetLeavesTheExpandStateServing() {
		this.versionTwo.withPropertyValues("spring.liquibase.change-log=classpath:db/test/contract-failing.xml")
			.run((v2) -> {
				assertThat(v2).hasNotFailed();
				ContractPhase contracts = gate(v2).contracts();
				assertThat(contracts.applyIfAllowed()).isFalse();
				// the drop that preceded the failing statement was rolled back with it
				assertThat(columns()).isEqualTo("note,remark");
				assertThat(this.postgres.queryLong(this.url,
						"SELECT count(*) FROM databasechangelog WHERE id = '6-drop-note'")).isZero();
				assertThat(contracts.lastError()).contains("no_such_column");
				assertThat(contracts.pending()).extracting(ChangesetRef::id).containsExactly("6-drop-note");
				assertThat(readinessAfterCheck(v2)).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);
				Health health = new SchemagateHealthIndicator(v2.getBean(SchemaGates.class)).health(true);
				assertThat(health.getStatus()).isEqualTo(Status.UP);
				assertThat(details(v2)).extractingByKey("contracts")
					.asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
					.containsEntry("pending", List.of("6-drop-note"))
					.hasEntrySatisfying("lastError", (error) -> assertThat(error.toString()).contains("no_such_column"));
				// tried again at the next check, and failing the same way, changes nothing
				assertThat(contracts.applyIfAllowed()).isFalse();
				assertThat(columns()).isEqualTo("note,remark");
				assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked"))
					.isZero();
			});
	}

	@Test
	void aRegistrationWaitsForTheContractChangesetThatLockedTheRegistryAndAnInstanceSeenInsideItStopsIt()
			throws Exception {
		this.versionTwo.run((v2) -> {
			FleetMembership fleet = gate(v2).fleet();
			ChangeSet contract = new ChangeSet("6-drop-note", "test", false, false, "db/test/contract-v2.xml", null,
					null, null);
			contract.setLabels(new Labels("contract"));
			try (HikariDataSource pool = this.postgres.pool(this.url, 2);
					Connection session = this.postgres.connect(this.url)) {
				session.setAutoCommit(false);
				ContractGuard guard = new ContractGuard(fleet, pool);
				guard.check(session, contract);
				CompletableFuture<FleetRegistry> starting = CompletableFuture.supplyAsync(() -> {
					try {
						return FleetRegistry.register(pool, "SCHEMAGATE_", "databasechangelog", Instance.current("1"),
								new Registration("3-index", List.of()), Duration.ofHours(1), Duration.ofSeconds(30), null);
					}
					catch (Exception ex) {
						throw new IllegalStateException(ex);
					}
				});
				Thread.sleep(700);
				assertThat(starting).isNotDone();
				session.commit();
				try (FleetRegistry registered = starting.get(5, TimeUnit.SECONDS)) {
					session.setAutoCommit(false);
					assertThatIllegalStateException().isThrownBy(() -> guard.check(session, contract))
						.withMessageContaining("is held back by [instance ")
						.withMessageContaining("version 1");
					session.rollback();
				}
			}
		});
	}

	@Test
	void aContractChangesetOutsideATransactionKeepsTheRegistryLockedUntilItIsDone() throws Exception {
		this.versionTwo.withPropertyValues("spring.liquibase.change-log=classpath:db/test/contract-non-transactional.xml")
			.run((v2) -> {
				assertThat(v2).hasNotFailed();
				ContractPhase contracts = gate(v2).contracts();
				CompletableFuture<Boolean> applying = CompletableFuture.supplyAsync(contracts::applyIfAllowed);
				awaitRunning("pg_sleep(3)");
				// an instance of the previous version that registers now must wait until the
				// changeset is done, and then find it applied
				try (Connection connection = this.postgres.connect(this.url);
						Statement statement = connection.createStatement()) {
					statement.execute("SET lock_timeout = '300ms'");
					assertThatExceptionOfType(SQLException.class)
						.isThrownBy(() -> statement.execute("INSERT INTO schemagate_instance (INSTANCE_ID, LOCK_KEY, "
								+ "HOST, PID, CONTRACTS, STARTED_AT, HEARTBEAT_AT) VALUES ("
								+ "'00000000-0000-0000-0000-000000000009', 'schemagate:liquibase', 'starting', 9, '{}', "
								+ "now(), now())"))
						.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("55P03"));
				}
				assertThat(applying.get(20, TimeUnit.SECONDS)).isTrue();
				assertThat(this.postgres.queryLong(this.url,
						"SELECT count(*) FROM pg_indexes WHERE indexname = 'audit_note_idx'")).isZero();
				// the registry is free again
				this.postgres.executeIn(this.url, "UPDATE schemagate_instance SET heartbeat_at = now()");
			});
	}

	@Test
	void aContractRunLeavesTheApplicationsLiquibaseBeanAsItWasForWhoeverReadsItMeanwhile() throws Exception {
		this.versionTwo.withPropertyValues("spring.liquibase.change-log=classpath:db/test/contract-non-transactional.xml")
			.run((v2) -> {
				assertThat(v2).hasNotFailed();
				SpringLiquibase bean = v2.getBean(SpringLiquibase.class);
				DataSource applicationDataSource = v2.getBean(DataSource.class);
				CompletableFuture<Boolean> applying = CompletableFuture
					.supplyAsync(gate(v2).contracts()::applyIfAllowed);
				awaitRunning("pg_sleep(3)");
				// what /actuator/liquibase reads while the contract changeset runs
				assertThat(bean.getDataSource()).isSameAs(applicationDataSource);
				assertThat(bean.getLabelFilter()).isNull();
				assertThat(bean.getCustomizer()).isNull();
				assertThat(applying.get(20, TimeUnit.SECONDS)).isTrue();
			});
	}

	@Test
	void theApplicationsLiquibaseBeanIsOnlyReadByTheStartAndTheContractPhase() {
		this.versionTwo.withUserConfiguration(SealedLiquibaseConfiguration.class).run((v2) -> {
			assertThat(v2).hasNotFailed();
			assertThat(columns()).isEqualTo("note,remark");
			assertThat(gate(v2).contracts().applyIfAllowed()).isTrue();
			assertThat(columns()).isEqualTo("remark");
			assertThat(v2.getBean(SealedLiquibase.class).writesAfterSealing).isEmpty();
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class SealedLiquibaseConfiguration {

		@Bean
		SealedLiquibase liquibase(DataSource dataSource) {
			SealedLiquibase liquibase = new SealedLiquibase();
			liquibase.setDataSource(dataSource);
			liquibase.setChangeLog("classpath:db/test/contract-v2.xml");
			liquibase.sealed = true;
			return liquibase;
		}

	}

	/**
	 * A Liquibase bean that records every write once its configuration is done.
	 */
	static class SealedLiquibase extends SpringLiquibase {

		final List<String> writesAfterSealing = new CopyOnWriteArrayList<>();

		volatile boolean sealed;

		private void written(String what) {
			if (this.sealed) {
				this.writesAfterSealing.add(what);
			}
		}

		@Override
		public void setDataSource(DataSource dataSource) {
			written("dataSource");
			super.setDataSource(dataSource);
		}

		@Override
		public void setLabelFilter(String labelFilter) {
			written("labelFilter");
			super.setLabelFilter(labelFilter);
		}

		@Override
		public void setContexts(String contexts) {
			written("contexts");
			super.setContexts(contexts);
		}

		@Override
		public void setCustomizer(Customizer<Liquibase> customizer) {
			written("customizer");
			super.setCustomizer(customizer);
		}

		@Override
		public void afterPropertiesSet() throws LiquibaseException {
			written("afterPropertiesSet");
			super.afterPropertiesSet();
		}

	}

	private void awaitRunning(String query) throws Exception {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		while (this.postgres.queryLong(this.url, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
				+ "AND pid <> pg_backend_pid() AND query LIKE '%" + query + "%'") == 0) {
			assertThat(System.nanoTime()).as("the changeset started within 10 s").isLessThan(deadline);
			Thread.sleep(20);
		}
	}

	private String columns() throws Exception {
		return this.postgres.queryString(this.url, "SELECT string_agg(column_name, ',' ORDER BY column_name) "
				+ "FROM information_schema.columns WHERE table_name = 'audit'");
	}

	private static SchemaGate gate(AssertableApplicationContext context) {
		return context.getBean(SchemaGates.class).all().get(0);
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> details(AssertableApplicationContext context) {
		Health health = new SchemagateHealthIndicator(context.getBean(SchemaGates.class)).health(true);
		return (Map<String, Object>) health.getDetails().get("liquibase");
	}

	private static ReadinessState readinessAfterCheck(AssertableApplicationContext context) {
		if (context.getBean(ApplicationAvailability.class).getReadinessState() != ReadinessState.ACCEPTING_TRAFFIC) {
			AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
		}
		context.getBean(SchemaReadiness.class).check();
		return context.getBean(ApplicationAvailability.class).getReadinessState();
	}

}
