package dev.schemagate.autoconfigure;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.schemagate.gate.StartCancelledException;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for a context closed while its Liquibase bean waits or migrates under the gate, as
 * Spring Boot's shutdown hook closes it on SIGTERM: Spring's close interrupts the refresh,
 * and the start stops there. The processes themselves are signalled in the sample's
 * {@code DeployFaultsIT}.
 */
class ShutdownDuringStartTests {

	// a waiting session holds a listener slot (a two-key advisory lock), not the fence
	private static final String WAITING_SESSION = "SELECT count(*) FROM pg_stat_activity a "
			+ "WHERE a.datname = current_database() AND a.application_name LIKE 'schemagate %' AND NOT EXISTS "
			+ "(SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted "
			+ "AND l.objsubid = 1)";

	private static final String SLEEPING_SESSION = "SELECT count(*) FROM pg_stat_activity "
			+ "WHERE datname = current_database() AND state = 'active' AND query LIKE 'SELECT pg_sleep%'";

	private final TestPostgres postgres = TestPostgres.get();

	private String url;

	private ApplicationContextRunner runner;

	@BeforeEach
	void createDatabase() {
		this.url = this.postgres.createDatabase();
		this.runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LiquibaseAutoConfiguration.class, SchemagateAutoConfiguration.class))
			.withPropertyValues(this.postgres.applicationProperties(this.url))
			.withPropertyValues("spring.liquibase.change-log=classpath:db/test/slow.xml");
	}

	@Test
	void contextClosedWhileItWaitsForTheLeaderStopsWaitingAtOnce() throws Exception {
		CompletableFuture<Void> leader = CompletableFuture.runAsync(() -> this.runner
			.withPropertyValues("spring.liquibase.parameters.slowSeconds=6")
			.run((context) -> assertThat(context).hasNotFailed()));
		awaitCount(SLEEPING_SESSION);
		AtomicReference<ConfigurableApplicationContext> waiting = new AtomicReference<>();
		CompletableFuture<Long> closed = closeOnce(WAITING_SESSION, waiting);
		this.runner.withPropertyValues("spring.liquibase.parameters.slowSeconds=6")
			.withInitializer(waiting::set)
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(cancellation(context.getStartupFailure())).hasMessageContaining("Stopped waiting");
			});
		Duration stopped = Duration.ofNanos(System.nanoTime() - closed.get(10, TimeUnit.SECONDS));
		assertThat(stopped).isLessThan(Duration.ofSeconds(2));
		// the leader it waited for finishes undisturbed
		leader.get(60, TimeUnit.SECONDS);
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'slow'")).isOne();
	}

	@Test
	void contextInWaitModeClosedWhileItWaitsForTheSchemaStopsAtOnceAndLeavesTheRegistry() throws Exception {
		AtomicReference<ConfigurableApplicationContext> waiting = new AtomicReference<>();
		// registered before it looks at the schema, which nobody migrates
		CompletableFuture<Long> closed = closeOnce("SELECT count(*) FROM schemagate_instance", waiting);
		this.runner.withPropertyValues("schemagate.mode=wait", "schemagate.wait.timeout=5m")
			.withInitializer(waiting::set)
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(cancellation(context.getStartupFailure())).hasMessageContaining("Stopped waiting for the schema");
			});
		Duration stopped = Duration.ofNanos(System.nanoTime() - closed.get(30, TimeUnit.SECONDS));
		assertThat(stopped).isLessThan(Duration.ofSeconds(2));
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM schemagate_instance")).isZero();
	}

	@Test
	void leaderClosedMidChangesetFinishesItAndDoesNotStart() throws Exception {
		AtomicReference<ConfigurableApplicationContext> leading = new AtomicReference<>();
		CompletableFuture<Long> closed = closeOnce(SLEEPING_SESSION, leading);
		this.runner.withPropertyValues("spring.liquibase.parameters.slowSeconds=3")
			.withInitializer(leading::set)
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(cancellation(context.getStartupFailure()))
					.hasMessageContaining("Stopped migrating, having applied [1-audit, 2-slow]");
			});
		closed.get(10, TimeUnit.SECONDS);
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'slow'")).isOne();
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangelog")).isEqualTo(2);
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM databasechangeloglock WHERE locked")).isZero();
	}

	@Test
	void abortingLeaderClosedMidChangesetRollsItBackAtOnceForTheNextStart() throws Exception {
		AtomicReference<ConfigurableApplicationContext> leading = new AtomicReference<>();
		CompletableFuture<Long> closed = closeOnce(SLEEPING_SESSION, leading);
		ApplicationContextRunner aborting = this.runner.withPropertyValues("spring.liquibase.parameters.slowSeconds=30",
				"schemagate.shutdown=abort");
		aborting.withInitializer(leading::set).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(cancellation(context.getStartupFailure())).hasMessageContaining("Stopped migrating");
		});
		Duration stopped = Duration.ofNanos(System.nanoTime() - closed.get(10, TimeUnit.SECONDS));
		assertThat(stopped).isLessThan(Duration.ofSeconds(2));
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit")).isZero();
		assertThat(this.postgres.queryString(this.url, "SELECT string_agg(id, ',') FROM databasechangelog"))
			.isEqualTo("1-audit");
		assertThat(this.postgres.queryString(this.url,
				"SELECT outcome FROM schemagate_history WHERE changeset_id = '2-slow'")).isEqualTo("FAILED_TRANSIENT");
		// the next start runs the changeset from its start
		this.runner.withPropertyValues("spring.liquibase.parameters.slowSeconds=0")
			.run((context) -> assertThat(context).hasNotFailed());
		assertThat(this.postgres.queryLong(this.url, "SELECT count(*) FROM audit WHERE note = 'slow'")).isOne();
	}

	// closes the context from another thread once a session matches, as a shutdown hook does
	private CompletableFuture<Long> closeOnce(String countQuery, AtomicReference<ConfigurableApplicationContext> context) {
		return CompletableFuture.supplyAsync(() -> {
			try {
				awaitCount(countQuery);
				long closing = System.nanoTime();
				context.get().close();
				return closing;
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		});
	}

	// a table the query reads may not exist yet
	private void awaitCount(String countQuery) throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
		while (count(countQuery) == 0) {
			assertThat(System.nanoTime()).as(countQuery).isLessThan(deadline);
			Thread.sleep(50);
		}
	}

	private long count(String countQuery) {
		try {
			return this.postgres.queryLong(this.url, countQuery);
		}
		catch (SQLException ex) {
			return 0;
		}
	}

	private static StartCancelledException cancellation(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof StartCancelledException cancelled) {
				return cancelled;
			}
		}
		throw new AssertionError("The start failed otherwise than by being stopped", failure);
	}

}
