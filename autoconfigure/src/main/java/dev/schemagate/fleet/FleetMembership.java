package dev.schemagate.fleet;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

import javax.sql.DataSource;

import dev.schemagate.database.GateDatabase.SessionMark;
import dev.schemagate.database.GateDatabases;
import dev.schemagate.fleet.FleetRegistry.Member;
import dev.schemagate.fleet.FleetRegistry.Registration;
import dev.schemagate.gate.GateSettings;
import dev.schemagate.gate.Instance;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * This instance's record in the fleet registry of one gate: joined before the schema is
 * looked at, left once the instance has stopped serving or failed to start.
 */
public final class FleetMembership {

	private static final Log logger = LogFactory.getLog(FleetMembership.class);

	private final String name;

	private final DataSource dataSource;

	private final Callable<Registration> registration;

	private final GateSettings settings;

	private final Instance instance;

	private final Duration heartbeatInterval;

	private final Duration expiry;

	private final @Nullable DataSource unpooled;

	private volatile @Nullable FleetRegistry registry;

	private @Nullable SessionMark sessionMark;

	/**
	 * Creates the membership of this instance in the fleet of one gate.
	 * @param name the name of the gate, for what is logged
	 * @param dataSource the gate's database
	 * @param registration reads what the registry records of this instance's changelog
	 * @param settings the gate's settings: its tables and lock key
	 * @param instance this instance
	 * @param heartbeatInterval how often this instance renews its heartbeat
	 * @param expiry how old a heartbeat may be before its instance counts as gone
	 * @param unpooled sessions of the same database outside any pool, on which this
	 * instance marks the sessions it begins from then on, where the database does not tell
	 * when a session began; {@code null} where it does
	 */
	public FleetMembership(String name, DataSource dataSource, Callable<Registration> registration,
			GateSettings settings, Instance instance, Duration heartbeatInterval, Duration expiry,
			@Nullable DataSource unpooled) {
		this.name = name;
		this.dataSource = dataSource;
		this.registration = registration;
		this.settings = settings;
		this.instance = instance;
		this.heartbeatInterval = heartbeatInterval;
		this.expiry = expiry;
		this.unpooled = unpooled;
	}

	/**
	 * Records this instance in the registry. A database out of reach now is waited for by
	 * the gate: joining is tried again after it.
	 */
	public void join() {
		try {
			markSessions();
			this.registry = FleetRegistry.register(this.dataSource, this.settings.gateTablePrefix(),
					this.settings.key(), this.instance, this.registration.call(), this.heartbeatInterval, this.expiry,
					this.sessionMark);
		}
		catch (Exception ex) {
			logger.debug("Could not join the fleet registry of '" + this.name + "' yet", ex);
		}
	}

	// once, before the first session of the pool where possible: the leader can then tell
	// that this instance's sessions began after a Liquibase lock left by a process gone
	private void markSessions() {
		DataSource unpooled = this.unpooled;
		if (unpooled == null || this.sessionMark != null) {
			return;
		}
		try (Connection connection = unpooled.getConnection()) {
			this.sessionMark = GateDatabases.of(connection).markSessions(connection).orElse(null);
		}
		catch (SQLException | RuntimeException ex) {
			// without a mark, a Liquibase lock left by a process gone waits for the timeout
			logger.debug("Could not mark the sessions that '" + this.name + "' begins", ex);
		}
	}

	/**
	 * Records this instance in the registry unless it is, warning when it cannot.
	 */
	public void joinIfNotYet() {
		if (this.registry == null) {
			join();
			if (this.registry == null) {
				logger.warn("'" + this.name + "' is not in the fleet registry: changesets that wait for the previous "
						+ "version to be gone will not wait for this instance");
			}
		}
	}

	/**
	 * Reads the instances of the fleet alive now.
	 * @return the live instances, oldest first, none when this instance is not in the
	 * registry
	 * @throws SQLException if the database fails
	 */
	public List<Member> live() throws SQLException {
		FleetRegistry registry = this.registry;
		return (registry != null) ? registry.live() : List.of();
	}

	/**
	 * Reads the instances of the fleet alive now on a given session, such as one that holds
	 * the registry locked.
	 * @param session the session
	 * @return the live instances, oldest first
	 * @throws SQLException if the database fails
	 * @throws IllegalStateException if this instance is not in the registry
	 */
	public List<Member> live(Connection session) throws SQLException {
		return joined().live(session);
	}

	/**
	 * Reads the live instances other than this one whose changelog holds any of the given
	 * changesets.
	 * @param session the session, such as one that holds the registry locked
	 * @param changesets the changesets, as {@code id:author}
	 * @return those instances, oldest first
	 * @throws SQLException if the database fails
	 * @throws IllegalStateException if this instance is not in the registry
	 */
	public List<Member> knowing(Connection session, List<String> changesets) throws SQLException {
		return joined().knowing(session, changesets);
	}

	/**
	 * Reads the live instances other than this one whose changelog holds any of the given
	 * changesets.
	 * @param changesets the changesets, as {@code id:author}
	 * @return those instances, oldest first
	 * @throws SQLException if the database fails
	 * @throws IllegalStateException if this instance is not in the registry
	 */
	public List<Member> knowing(List<String> changesets) throws SQLException {
		return joined().knowing(changesets);
	}

	/**
	 * Locks the registry against new instances until the session's transaction ends.
	 * @param session a session in a transaction
	 * @throws SQLException if the database fails
	 * @throws IllegalStateException if this instance is not in the registry
	 */
	public void lockAgainstNewInstances(Connection session) throws SQLException {
		joined().lockAgainstNewInstances(session);
	}

	/**
	 * Tells whether this instance is in the registry: only then can it tell who else runs.
	 * @return whether it joined
	 */
	public boolean isJoined() {
		return this.registry != null;
	}

	private FleetRegistry joined() {
		FleetRegistry registry = this.registry;
		if (registry == null) {
			throw new IllegalStateException("'" + this.name + "' is not in the fleet registry: it cannot tell which "
					+ "versions of the application run");
		}
		return registry;
	}

	/**
	 * Tells whether this instance was counted as gone while it ran, frozen or cut off for
	 * longer than the expiry.
	 * @return whether its record lapsed
	 */
	public boolean lapsed() {
		FleetRegistry registry = this.registry;
		return registry != null && registry.lapsed();
	}

	/**
	 * Renews this instance's heartbeat now, as the heartbeat does on its schedule.
	 */
	public void renew() {
		FleetRegistry registry = this.registry;
		if (registry != null) {
			registry.beat();
		}
	}

	/**
	 * Removes this instance from the registry and stops its heartbeat.
	 */
	public void leave() {
		FleetRegistry registry = this.registry;
		if (registry != null) {
			registry.close();
			this.registry = null;
		}
	}

}
