package dev.schemagate.liquibase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import dev.schemagate.database.GateDatabase;
import dev.schemagate.database.GateDatabase.GateTable;
import dev.schemagate.database.GateDatabases;
import dev.schemagate.gate.Tables;
import liquibase.change.Change;
import liquibase.changelog.ChangeSet;
import liquibase.database.Database;
import liquibase.exception.LiquibaseException;
import liquibase.exception.RollbackImpossibleException;
import liquibase.sql.Sql;
import liquibase.sql.visitor.SqlVisitor;
import liquibase.sqlgenerator.SqlGeneratorFactory;
import liquibase.statement.SqlStatement;
import org.jspecify.annotations.Nullable;

/**
 * The rollback of each applied changeset, as Liquibase generates it for the database,
 * kept in a table of schemagate's own ({@code SCHEMAGATE_ROLLBACK} by default), so that an
 * older version of the application, whose changelog lacks the changeset, can still roll it
 * back. A record is written on the migration session before the changeset commits, and so
 * commits with it.
 */
final class RollbackRecords {

	private final String tableName;

	/**
	 * Creates the records kept in a table.
	 * @param tableName the table's name
	 */
	RollbackRecords(String tableName) {
		this.tableName = tableName;
	}

	String tableName() {
		return this.tableName;
	}

	/**
	 * Creates the table when it is missing, on a session in auto-commit.
	 * @param session the fenced session
	 * @throws SQLException if the database fails
	 */
	void ensureTable(Connection session) throws SQLException {
		// looked for first: CREATE TABLE IF NOT EXISTS needs the right to create, even when
		// the table is there
		if (Tables.exists(session, this.tableName)) {
			return;
		}
		try (Statement statement = session.createStatement()) {
			statement.execute(GateDatabases.of(session).createTable(GateTable.ROLLBACK, this.tableName));
		}
	}

	/**
	 * Records the rollback of a changeset that has just run.
	 * @param session the session it ran on, its transaction still open when it is one
	 * @param changeSet the changeset
	 * @param database Liquibase's database on that session
	 * @param changed whether its changes ran: one marked as ran, or whose changes were
	 * rolled back, has nothing to undo but its row
	 * @throws SQLException if the database fails
	 */
	void record(Connection session, ChangeSet changeSet, Database database, boolean changed) throws SQLException {
		Rollback rollback = changed ? generate(changeSet, database) : new Rollback(List.of(), null);
		GateDatabase gateDatabase = GateDatabases.of(session);
		try (PreparedStatement statement = session.prepareStatement("INSERT INTO " + this.tableName
				+ " (ID, AUTHOR, FILENAME, STATEMENTS, NO_ROLLBACK, RECORDED_AT) VALUES (?, ?, ?, ?, ?, "
				+ gateDatabase.now() + ")" + gateDatabase.onDuplicateKey("ID, AUTHOR, FILENAME",
						gateDatabase.assignInserted("STATEMENTS", "NO_ROLLBACK", "RECORDED_AT")))) {
			statement.setString(1, changeSet.getId());
			statement.setString(2, changeSet.getAuthor());
			statement.setString(3, changeSet.getFilePath());
			gateDatabase.setTexts(statement, 4, rollback.statements());
			statement.setString(5, rollback.impossible());
			statement.executeUpdate();
		}
	}

	/**
	 * Reads the recorded rollback of an applied changeset.
	 * @param session a session
	 * @param id the changeset's id
	 * @param author its author
	 * @param fileName its file, as {@code DATABASECHANGELOG} holds it
	 * @return the rollback, empty when none was recorded
	 * @throws SQLException if the database fails
	 */
	Optional<Rollback> find(Connection session, String id, String author, String fileName) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement(
				"SELECT STATEMENTS, NO_ROLLBACK FROM " + this.tableName + " WHERE ID = ? AND AUTHOR = ? AND FILENAME = ?")) {
			statement.setString(1, id);
			statement.setString(2, author);
			statement.setString(3, fileName);
			try (ResultSet result = statement.executeQuery()) {
				if (!result.next()) {
					return Optional.empty();
				}
				return Optional.of(new Rollback(GateDatabases.of(session).texts(result, 1), result.getString(2)));
			}
		}
	}

	void remove(Connection session, String id, String author, String fileName) throws SQLException {
		try (PreparedStatement statement = session
			.prepareStatement("DELETE FROM " + this.tableName + " WHERE ID = ? AND AUTHOR = ? AND FILENAME = ?")) {
			statement.setString(1, id);
			statement.setString(2, author);
			statement.setString(3, fileName);
			statement.executeUpdate();
		}
	}

	// as Liquibase's rollback runs it: the changeset's own rollback, or else the inverse of
	// each change, last first, with the SQL modifications that apply to rollbacks
	private static Rollback generate(ChangeSet changeSet, Database database) {
		List<SqlStatement> statements = new ArrayList<>();
		try {
			if (changeSet.hasCustomRollbackChanges()) {
				for (Change change : changeSet.getRollback().getChanges()) {
					statements.addAll(Arrays.asList(change.generateStatements(database)));
				}
			}
			else {
				List<Change> changes = changeSet.getChanges();
				for (int i = changes.size() - 1; i >= 0; i--) {
					statements.addAll(Arrays.asList(changes.get(i).generateRollbackStatements(database)));
				}
			}
			List<String> sql = new ArrayList<>();
			for (SqlStatement statement : statements) {
				for (Sql generated : SqlGeneratorFactory.getInstance().generateSql(statement, database)) {
					if (generated != null) {
						sql.add(modified(generated.toSql(), changeSet, database));
					}
				}
			}
			return new Rollback(sql, null);
		}
		catch (RollbackImpossibleException ex) {
			return new Rollback(null, "no rollback: " + ex.getMessage());
		}
		catch (LiquibaseException | RuntimeException ex) {
			return new Rollback(null, "its rollback could not be generated: " + ex.getMessage());
		}
	}

	private static String modified(String sql, ChangeSet changeSet, Database database) {
		String modified = sql;
		for (SqlVisitor visitor : changeSet.getSqlVisitors()) {
			if (visitor.isApplyToRollback()) {
				modified = visitor.modifySql(modified, database);
			}
		}
		return modified;
	}

	/**
	 * A changeset's recorded rollback.
	 *
	 * @param statements the SQL statements that undo it, in order, {@code null} when it
	 * cannot be rolled back
	 * @param impossible why it cannot be, {@code null} when it can
	 */
	record Rollback(@Nullable List<String> statements, @Nullable String impossible) {

	}

}
