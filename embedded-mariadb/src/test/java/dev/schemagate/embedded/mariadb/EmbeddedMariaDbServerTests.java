package dev.schemagate.embedded.mariadb;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link EmbeddedMariaDbServer}: a real server, started from the packaged binaries.
 */
class EmbeddedMariaDbServerTests {

	@Test
	void startsAServerThatKeepsItsDataAndPortAcrossARestartAndRemovesItOnClose() throws SQLException {
		Path log;
		String url;
		try (EmbeddedMariaDbServer server = EmbeddedMariaDbServer.builder().setting("max-connections", "150").start()) {
			server.createDatabase("app");
			url = server.jdbcUrl("app");
			log = server.logFile();
			try (Connection connection = connect(url); Statement statement = connection.createStatement()) {
				statement.execute("CREATE TABLE kept (id int) ENGINE=InnoDB");
				statement.execute("INSERT INTO kept VALUES (1), (2)");
				assertThat(queryString(statement, "SELECT @@max_connections")).isEqualTo("150");
				assertThat(queryString(statement, "SELECT VERSION()")).contains("MariaDB");
			}
			Connection beforeRestart = connect(url);
			server.restart();
			assertThatExceptionOfType(SQLException.class)
				.isThrownBy(() -> beforeRestart.createStatement().execute("SELECT 1"));
			try (Connection connection = connect(url); Statement statement = connection.createStatement()) {
				assertThat(queryString(statement, "SELECT count(*) FROM kept")).isEqualTo("2");
			}
		}
		assertThat(log).doesNotExist();
		assertThatExceptionOfType(SQLException.class).isThrownBy(() -> connect(url).close());
	}

	@Test
	void refusesAWrongPassword() {
		try (EmbeddedMariaDbServer server = EmbeddedMariaDbServer.builder().start()) {
			assertThatExceptionOfType(SQLException.class)
				.isThrownBy(() -> DriverManager.getConnection(server.jdbcUrl(""), EmbeddedMariaDbServer.USERNAME,
						"wrong"))
				.withMessageContaining("Access denied");
		}
	}

	@Test
	void removesTheDataOfAServerWhoseJvmIsGone() throws Exception {
		Path abandoned = Files.createTempDirectory("schemagate-mariadb-");
		// the pid of a process that has ended
		Process ended = new ProcessBuilder("true").start();
		ended.waitFor();
		Files.writeString(abandoned.resolve("owner.pid"), Long.toString(ended.pid()));
		try (EmbeddedMariaDbServer server = EmbeddedMariaDbServer.builder().start()) {
			assertThat(abandoned).doesNotExist();
		}
	}

	private static Connection connect(String url) throws SQLException {
		return DriverManager.getConnection(url, EmbeddedMariaDbServer.USERNAME, EmbeddedMariaDbServer.PASSWORD);
	}

	private static String queryString(Statement statement, String sql) throws SQLException {
		try (ResultSet result = statement.executeQuery(sql)) {
			result.next();
			return result.getString(1);
		}
	}

}
