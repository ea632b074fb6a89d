package dev.schemagate.autoconfigure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import dev.schemagate.test.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.io.ClassPathResource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gate's tables are shared by every version of a fleet, so their shape is part of a
 * release: a database whose tables the last release created is taken over, and tables this
 * build creates have the shape the last release's have, unless CHANGELOG.md and a new
 * {@code db/release/<version>/gate-tables.sql} say otherwise.
 */
class GateTablesContractTests {

	private static final String LAST_RELEASE = "0.1.0";

	private static final List<String> GATE_TABLES = List.of("int_lock", "schemagate_leader", "schemagate_history",
			"schemagate_instance", "schemagate_rollback");

	private final TestPostgres postgres = TestPostgres.get();

	private ApplicationContextRunner contextRunner;

	@BeforeEach
	void contextRunner() {
		this.contextRunner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					LiquibaseAutoConfiguration.class, SchemagateAutoConfiguration.class))
			.withPropertyValues("schemagate.downgrade.enabled=true");
	}

	@Test
	void tablesThisBuildCreatesHaveTheShapeOfTheLastRelease() throws Exception {
		String fresh = this.postgres.createDatabase();
		this.contextRunner.withPropertyValues(this.postgres.applicationProperties(fresh))
			.run((context) -> assertThat(context).hasNotFailed());
		String released = this.postgres.createDatabase();
		this.postgres.executeIn(released, statements(lastReleaseTables()));
		assertThat(columns(fresh))
			.as("the gate's tables changed shape since " + LAST_RELEASE + ": give the change an upgrade path that "
					+ "takes over a database of " + LAST_RELEASE + ", say in CHANGELOG.md what upgrading takes, and "
					+ "add the new release's gate-tables.sql")
			.isEqualTo(columns(released));
	}

	@Test
	void databaseTheLastReleaseMigratedIsTakenOver() throws Exception {
		String url = this.postgres.createDatabase();
		this.postgres.executeIn(url, statements(lastReleaseTables()));
		// what the last release leaves behind: its history, a registry row of an instance gone
		// two days ago, and an expired lease
		this.postgres.executeIn(url,
				"INSERT INTO SCHEMAGATE_HISTORY (LOCK_KEY, INSTANCE_ID, HOST, PID, APP_VERSION, DB_USER, CHANGESET_ID, "
						+ "CHANGESET_AUTHOR, CHANGELOG, STARTED_AT, DURATION_MS, OUTCOME) VALUES ('schemagate:liquibase', "
						+ "'00000000-0000-0000-0000-000000000001', 'old-host', 1, '1', 'schemagate', '0-earlier', 'test', "
						+ "'db/test/earlier.xml', now() - interval '1 day', 12, 'APPLIED')",
				"INSERT INTO SCHEMAGATE_INSTANCE (INSTANCE_ID, LOCK_KEY, HOST, PID, APP_VERSION, CHANGELOG_HEAD, CONTRACTS, "
						+ "CHANGESETS, STARTED_AT, HEARTBEAT_AT) VALUES ('00000000-0000-0000-0000-000000000001', "
						+ "'schemagate:liquibase', 'old-host', 1, '1', '0-earlier', '{}', '{}', now() - interval '3 days', "
						+ "now() - interval '2 days')",
				"INSERT INTO INT_LOCK (LOCK_KEY, REGION, CLIENT_ID, CREATED_DATE, EXPIRED_AFTER) VALUES "
						+ "('00000000-0000-0000-0000-000000000002', 'schemagate', '00000000-0000-0000-0000-000000000003', "
						+ "now() - interval '1 hour', now() - interval '59 minutes')");
		List<String> releasedShape = columns(url);
		this.contextRunner.withPropertyValues(this.postgres.applicationProperties(url)).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM audit WHERE note = 'seed'")).isOne();
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM databasechangelog")).isEqualTo(3);
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM schemagate_history WHERE outcome = 'APPLIED' "
					+ "AND changeset_id IN ('1-audit', '2-seed', '3-index')")).isEqualTo(3);
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM schemagate_history WHERE changeset_id = "
					+ "'0-earlier'")).isOne();
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM schemagate_instance WHERE host = 'old-host'"))
				.isZero();
			assertThat(this.postgres.queryLong(url, "SELECT count(*) FROM schemagate_instance")).isOne();
		});
		assertThat(columns(url)).isEqualTo(releasedShape);
	}

	private String lastReleaseTables() throws IOException {
		return new ClassPathResource("db/release/" + LAST_RELEASE + "/gate-tables.sql")
			.getContentAsString(StandardCharsets.UTF_8);
	}

	private static String[] statements(String script) {
		StringBuilder withoutComments = new StringBuilder();
		script.lines().filter((line) -> !line.startsWith("--")).forEach((line) -> withoutComments.append(line).append('\n'));
		return java.util.Arrays.stream(withoutComments.toString().split(";"))
			.map(String::strip)
			.filter((statement) -> !statement.isEmpty())
			.toArray(String[]::new);
	}

	// by name rather than position: a column an upgrade adds comes last
	private List<String> columns(String url) throws SQLException {
		List<String> columns = new ArrayList<>();
		try (Connection connection = this.postgres.connect(url);
				PreparedStatement statement = connection.prepareStatement("SELECT table_name, column_name, data_type, "
						+ "character_maximum_length, is_nullable, column_default FROM information_schema.columns "
						+ "WHERE table_schema = current_schema() AND table_name = ANY (?) ORDER BY table_name, column_name")) {
			statement.setArray(1, connection.createArrayOf("text", GATE_TABLES.toArray()));
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					columns.add(result.getString(1) + "." + result.getString(2) + " " + result.getString(3)
							+ ((result.getObject(4) != null) ? "(" + result.getInt(4) + ")" : "")
							+ ("NO".equals(result.getString(5)) ? " NOT NULL" : "")
							+ ((result.getString(6) != null) ? " DEFAULT " + result.getString(6) : ""));
				}
			}
		}
		return columns;
	}

}
