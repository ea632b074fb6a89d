package dev.schemagate.liquibase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.schemagate.fleet.FleetRegistry.Member;
import dev.schemagate.liquibase.RollbackRecords.Rollback;
import dev.schemagate.status.SchemaPosition.ChangesetRef;
import liquibase.Liquibase;
import liquibase.Scope;
import liquibase.changelog.ChangeLogHistoryServiceFactory;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.RanChangeSet;
import liquibase.database.Database;
import liquibase.exception.LiquibaseException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Rolls back the changesets the database holds that the changelog does not know, applied
 * by a newer version of the application, from the rollback recorded when they were
 * applied: newest first, with their {@code DATABASECHANGELOG} rows, in one transaction.
 * Every rollback is looked up before anything runs, so a changeset without one stops the
 * downgrade with nothing changed, and a rollback statement that fails rolls back all of
 * it.
 */
final class Downgrade {

	private static final Log logger = LogFactory.getLog(Downgrade.class);

	private final RollbackRecords records;

	Downgrade(RollbackRecords records) {
		this.records = records;
	}

	/**
	 * Runs the downgrade under Liquibase's lock, before its update, unless a live instance
	 * of the fleet still has the changesets in its changelog: then they stay, and the hold
	 * hears who keeps them.
	 * @param liquibase the Liquibase about to update, whose changelog is the known one
	 * @param session the fenced session
	 * @param hold who may hold the downgrade back, {@code null} to roll back at once
	 * @return whether it rolled back changesets
	 * @throws LiquibaseException if the changelog or the database cannot be read
	 * @throws SQLException if the database fails
	 */
	boolean run(Liquibase liquibase, Connection session, @Nullable DowngradeHold hold)
			throws LiquibaseException, SQLException {
		Database database = liquibase.getDatabase();
		Set<String> known = new HashSet<>();
		for (ChangeSet changeSet : liquibase.getDatabaseChangeLog().getChangeSets()) {
			known.add(LiquibaseChangelog.registryKey(changeSet));
		}
		List<RanChangeSet> unknown = database.getRanChangeSetList()
			.stream()
			.filter((ran) -> !known.contains(key(ran)))
			.sorted(Comparator.comparing(RanChangeSet::getOrderExecuted,
					Comparator.nullsFirst(Comparator.naturalOrder())).reversed())
			.toList();
		if (unknown.isEmpty()) {
			if (hold != null) {
				hold.heldBack(List.of(), List.of(), null);
			}
			return false;
		}
		if (hold != null && heldBack(hold, session, unknown)) {
			return false;
		}
		List<Rollback> rollbacks = rollbacks(session, unknown);
		String changelogTable = database.escapeTableName(database.getLiquibaseCatalogName(),
				database.getLiquibaseSchemaName(), database.getDatabaseChangeLogTableName());
		boolean autoCommit = session.getAutoCommit();
		if (autoCommit) {
			session.setAutoCommit(false);
		}
		else {
			session.commit();
		}
		try {
			// an instance that registers from now on waits for this transaction, then sees
			// the changesets gone; one that registered before is seen here
			if (hold != null) {
				hold.lockAgainstNewInstances(session);
				if (heldBack(hold, session, unknown)) {
					session.rollback();
					return false;
				}
			}
			for (int i = 0; i < unknown.size(); i++) {
				RanChangeSet ran = unknown.get(i);
				rollBack(session, ran, rollbacks.get(i), changelogTable);
			}
			session.commit();
		}
		catch (SQLException ex) {
			session.rollback();
			throw new DowngradeException("Rolling back the changesets a newer version applied failed, and nothing "
					+ "was rolled back: " + ex.getMessage(), ex);
		}
		finally {
			session.setAutoCommit(autoCommit);
		}
		// Liquibase has read the rows before they were removed
		Scope.getCurrentScope().getSingleton(ChangeLogHistoryServiceFactory.class).getChangeLogService(database).reset();
		unknown.forEach((ran) -> logger.info("Rolled back changeset " + describe(ran)
				+ ", which a newer version applied, from its recorded rollback"));
		if (hold != null) {
			hold.heldBack(List.of(), List.of(), null);
			hold.rolledBack(refs(unknown));
		}
		return true;
	}

	// the changesets stay while an instance that knows them runs, or while it cannot be told
	private static boolean heldBack(DowngradeHold hold, Connection session, List<RanChangeSet> unknown)
			throws SQLException {
		List<ChangesetRef> changesets = refs(unknown);
		List<Member> holders;
		try {
			holders = hold.holders(session, unknown.stream().map(Downgrade::key).toList());
		}
		catch (IllegalStateException ex) {
			logger.warn("Leaving " + changesets.size() + " changesets a newer version applied in place: " + ex.getMessage());
			hold.heldBack(changesets, List.of(), ex.getMessage());
			return true;
		}
		if (holders.isEmpty()) {
			return false;
		}
		hold.heldBack(changesets, holders, null);
		return true;
	}

	// in the order they were applied: the unknown changesets are sorted newest first
	private static List<ChangesetRef> refs(List<RanChangeSet> unknown) {
		List<ChangesetRef> changesets = new ArrayList<>();
		unknown.forEach((ran) -> changesets.add(0, new ChangesetRef(ran.getId(), ran.getAuthor(), fileName(ran))));
		return changesets;
	}

	private static String key(RanChangeSet ran) {
		return ChangesetRef.registryKey(ran.getId(), ran.getAuthor());
	}

	// all looked up first: a downgrade that cannot be completed is not begun
	private List<Rollback> rollbacks(Connection session, List<RanChangeSet> unknown) throws SQLException {
		List<Rollback> rollbacks = new ArrayList<>();
		List<String> impossible = new ArrayList<>();
		for (RanChangeSet ran : unknown) {
			Optional<Rollback> rollback = this.records.find(session, ran.getId(), ran.getAuthor(), fileName(ran));
			if (rollback.isEmpty()) {
				impossible.add(describe(ran) + ": no rollback was recorded for it, as it was applied while "
						+ "downgrades were not enabled");
			}
			else if (rollback.get().statements() == null) {
				impossible.add(describe(ran) + ": " + rollback.get().impossible());
			}
			rollback.ifPresent(rollbacks::add);
		}
		if (!impossible.isEmpty()) {
			throw new DowngradeException("The database holds " + unknown.size() + " changeset"
					+ ((unknown.size() != 1) ? "s" : "") + " this changelog does not know, applied by a newer version, "
					+ "and cannot roll " + ((unknown.size() != 1) ? "them" : "it") + " back: "
					+ String.join("; ", impossible) + ". Nothing was rolled back.", null);
		}
		return rollbacks;
	}

	private void rollBack(Connection session, RanChangeSet ran, Rollback rollback, String changelogTable)
			throws SQLException {
		List<String> statements = rollback.statements();
		if (statements == null) {
			// refused before any rollback ran
			throw new IllegalStateException(describe(ran) + ": " + rollback.impossible());
		}
		for (String sql : statements) {
			try (Statement statement = session.createStatement()) {
				statement.execute(sql);
			}
		}
		try (PreparedStatement statement = session
			.prepareStatement("DELETE FROM " + changelogTable + " WHERE ID = ? AND AUTHOR = ? AND FILENAME = ?")) {
			statement.setString(1, ran.getId());
			statement.setString(2, ran.getAuthor());
			statement.setString(3, fileName(ran));
			statement.executeUpdate();
		}
		this.records.remove(session, ran.getId(), ran.getAuthor(), fileName(ran));
	}

	// as DATABASECHANGELOG holds it
	private static String fileName(RanChangeSet ran) {
		return (ran.getStoredChangeLog() != null) ? ran.getStoredChangeLog() : ran.getChangeLog();
	}

	private static String describe(RanChangeSet ran) {
		return ran.getId() + " (" + ran.getAuthor() + ") of " + ran.getChangeLog();
	}

}
