package dev.schemagate.sample.fleet;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.schemagate.sample.fleet.Fleet.Member;
import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged sample in the 'job' and 'wait' modes, as a Kubernetes Job or init container
 * and a Deployment whose database user may only read and write data use them.
 */
class ModesIT {

	private final TestPostgres postgres = TestPostgres.get();

	@Test
	void jobMigratesPrintsASummaryAndExitsWithoutOpeningItsPort() throws Exception {
		String url = this.postgres.createDatabase();
		Job first = job("job-first", url, Map.of());
		assertThat(first.exitCode()).as(first.log()).isZero();
		assertThat(first.portOpened()).as("the web port opened").isFalse();
		assertThat(first.log()).contains("schemagate job: applied 6 changesets, up to 007-sender");
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM migration_audit")).isEqualTo(3);
		Job second = job("job-second", url, Map.of());
		assertThat(second.exitCode()).as(second.log()).isZero();
		assertThat(second.log()).contains("schemagate job: already up to date, up to 007-sender");
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM migration_audit")).isEqualTo(3);
	}

	@Test
	void planPrintsTheNextVersionsChangesetAndItsSqlChangesNothingAndExits() throws Exception {
		String url = this.postgres.createDatabase();
		Job empty = run("plan", "plan-empty", url, Map.of());
		assertThat(empty.exitCode()).as(empty.log()).isZero();
		assertThat(empty.portOpened()).as("the web port opened").isFalse();
		assertThat(empty.log()).contains("6 changesets to apply", "CREATE TABLE public.greeting",
				"INSERT INTO migration_audit (note) VALUES ('seed')", "schemagate plan: nothing was changed");
		// the sample's JPA EntityManagerFactory validates the schema; in a plan it starts without
		assertThat(empty.log()).doesNotContain("cancelling refresh attempt", "Schema-validation");
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).isZero();
		assertThat(job("plan-v1-job", url, Map.of()).exitCode()).isZero();
		long history = this.postgres.queryLong(url, "SELECT count(*) FROM schemagate_history");
		Job next = run("plan", "plan-v2", url, Map.of("spring.profiles.active", "v2"));
		assertThat(next.exitCode()).as(next.log()).isZero();
		assertThat(next.log()).contains("4 changesets to apply", "  of which 1 labelled contract", "  006-v2-backfill (sample)",
				"  010-v2-drop-sender-name (sample) [contract]")
			.contains("INSERT INTO migration_audit (note) VALUES ('v2')")
			.doesNotContain("VALUES ('seed')");
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog")).isEqualTo(6);
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM migration_audit")).isEqualTo(3);
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM schemagate_history")).isEqualTo(history);
	}

	@Test
	void jobWithAFailingChangesetExitsNonZero() throws Exception {
		String url = this.postgres.createDatabase();
		Path changelog = Path.of("target", "modes-it", "failing.xml").toAbsolutePath();
		Files.createDirectories(changelog.getParent());
		Files.writeString(changelog, """
				<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
						xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
						xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog
						https://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.33.xsd">
					<changeSet id="1-table" author="it">
						<sql>CREATE TABLE kept (id int)</sql>
					</changeSet>
					<changeSet id="2-broken" author="it">
						<sql>INSERT INTO no_such_table VALUES (1)</sql>
					</changeSet>
				</databaseChangeLog>
				""");
		Job job = job("job-failing", url, Map.of("spring.liquibase.change-log", "file:" + changelog,
				"spring.jpa.hibernate.ddl-auto", "none"));
		assertThat(job.exitCode()).as(job.log()).isNotZero();
		assertThat(job.portOpened()).isFalse();
		assertThat(job.log()).contains("schemagate job: failed after 1 changeset")
			.contains("APPLICATION FAILED TO START")
			.contains("2-broken");
	}

	@Test
	void waitingInstanceWithADataOnlyUserStartsOnceAJobHasMigrated() throws Exception {
		String url = this.postgres.createDatabase();
		String database = url.substring(url.lastIndexOf('/') + 1);
		String role = "sg_wait_" + ProcessHandle.current().pid();
		this.postgres.createDataOnlyRole(url, role);
		try (Fleet waiting = Fleet.start("wait-mode", 1, url, Map.of("schemagate.mode", "wait",
				"spring.datasource.username", role, "spring.datasource.password", "app"))) {
			Member instance = waiting.members().get(0);
			Thread.sleep(8000);
			assertThat(instance.process().isAlive()).as("waits rather than failing").isTrue();
			assertThat(instance.isReady()).as("ready before anything migrated").isFalse();
			Job job = job("wait-mode-job", url, Map.of());
			assertThat(job.exitCode()).as(job.log()).isZero();
			assertThat(waiting.awaitReady(Duration.ofSeconds(60))).containsKey(instance);
			assertThat(instance.get("/greetings")).contains("hello");
		}
		finally {
			this.postgres.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)", "DROP ROLE IF EXISTS " + role);
		}
	}

	@Test
	void jobAppliesTheContractChangesetOnlyOnceNoWaitingInstanceOfTheVersionBeforeRuns() throws Exception {
		String url = this.postgres.createDatabase();
		String database = url.substring(url.lastIndexOf('/') + 1);
		String role = "sg_wait_" + ProcessHandle.current().pid();
		this.postgres.createDataOnlyRole(url, role);
		try {
			assertThat(job("contract-job-v1", url, Map.of()).exitCode()).isZero();
			Job held;
			try (Fleet waiting = Fleet.start("contract-wait-v1", 1, url, Map.of("schemagate.mode", "wait",
					"spring.datasource.username", role, "spring.datasource.password", "app"))) {
				Member v1 = waiting.members().get(0);
				assertThat(waiting.awaitReady(Duration.ofSeconds(90))).containsKey(v1);
				// registered with the right to write data only
				assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM schemagate_instance WHERE pid = "
						+ v1.process().pid())).isOne();
				held = job("contract-job-v2-held", url, Map.of("spring.profiles.active", "v2"));
				assertThat(held.exitCode()).as(held.log()).isZero();
				assertThat(held.log()).contains("schemagate job: applied 3 changesets, up to 009-v2-backfill-display-name, "
						+ "1 contract changeset [010-v2-drop-sender-name] held back by 1 live instance whose changelog "
						+ "lacks them: [instance ")
					.contains("(pid " + v1.process().pid() + ", version 1, changelog up to 007-sender)");
				assertThat(senderColumns(url)).isEqualTo("display_name,id,name");
				assertThat(v1.get("/senders")).contains("Ada");
				v1.process().destroy();
				assertThat(v1.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
			}
			Job applied = job("contract-job-v2-applied", url, Map.of("spring.profiles.active", "v2"));
			assertThat(applied.exitCode()).as(applied.log()).isZero();
			assertThat(applied.log()).contains("schemagate job: already up to date, up to 009-v2-backfill-display-name, "
					+ "applied 1 contract changeset [010-v2-drop-sender-name]");
			assertThat(senderColumns(url)).isEqualTo("display_name,id");
		}
		finally {
			this.postgres.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)", "DROP ROLE IF EXISTS " + role);
		}
	}

	@Test
	void jobOfTheVersionBeforeNamesTheInstancesThatHoldItsDowngradeBackAndRollsBackOnceTheyAreGone()
			throws Exception {
		String url = this.postgres.createDatabase();
		Map<String, String> downgrade = Map.of("schemagate.downgrade.enabled", "true");
		assertThat(job("downgrade-job-v1", url, downgrade).exitCode()).isZero();
		// version 2 serves; its contract changeset is left for later
		try (Fleet v2 = Fleet.start("downgrade-v2", 1, url, Map.of("spring.profiles.active", "v2",
				"schemagate.downgrade.enabled", "true", "schemagate.contract.check-interval", "0"))) {
			Member instance = v2.members().get(0);
			assertThat(v2.awaitReady(Duration.ofSeconds(90))).containsKey(instance);
			Job held = job("downgrade-job-v1-held", url, downgrade);
			assertThat(held.exitCode()).as(held.log()).isZero();
			assertThat(held.log()).contains("schemagate job: already up to date, up to 007-sender, 3 changesets of a "
					+ "newer version [006-v2-backfill, 008-v2-sender-display-name, 009-v2-backfill-display-name] not "
					+ "rolled back: held back by 1 live instance whose changelog has them: [instance ")
				.contains("(pid " + instance.process().pid() + ", version 2, changelog up to 010-v2-drop-sender-name)");
			assertThat(senderColumns(url)).isEqualTo("display_name,id,name");
			instance.process().destroy();
			assertThat(instance.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
		}
		Job rolledBack = job("downgrade-job-v1-rolled-back", url, downgrade);
		assertThat(rolledBack.exitCode()).as(rolledBack.log()).isZero();
		assertThat(rolledBack.log()).contains("schemagate job: already up to date, up to 007-sender, rolled back 3 "
				+ "changesets of a newer version [006-v2-backfill, 008-v2-sender-display-name, "
				+ "009-v2-backfill-display-name]");
		assertThat(senderColumns(url)).isEqualTo("id,name");
		assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM migration_audit WHERE note = 'v2-rolled-back'"))
			.isOne();
	}

	private String senderColumns(String url) throws SQLException {
		return this.postgres.queryString(url, "SELECT string_agg(column_name, ',' ORDER BY column_name) "
				+ "FROM information_schema.columns WHERE table_name = 'sender'");
	}

	private Job job(String name, String url, Map<String, String> properties) throws Exception {
		return run("job", name, url, properties);
	}

	private Job run(String mode, String name, String url, Map<String, String> properties) throws Exception {
		Map<String, String> all = new java.util.HashMap<>(properties);
		all.put("schemagate.mode", mode);
		try (Fleet fleet = Fleet.start(name, 1, url, all)) {
			Member member = fleet.members().get(0);
			boolean opened = false;
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
			while (member.process().isAlive() && System.nanoTime() < deadline) {
				opened |= listening(member.port());
				Thread.sleep(100);
			}
			assertThat(member.process().waitFor(5, TimeUnit.SECONDS)).as("the job ends by itself").isTrue();
			return new Job(member.process().exitValue(), opened, Files.readString(member.log()));
		}
	}

	private static boolean listening(int port) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("localhost", port), 100);
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	private record Job(int exitCode, boolean portOpened, String log) {
	}

}
