package dev.schemagate.gate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.util.ClassUtils;

/**
 * Tells the waiting instances that a leader let go of the fence, the moment it does, over
 * PostgreSQL's {@code LISTEN}/{@code NOTIFY}: a waiter learns of a finished migration at once
 * instead of on its next poll, and can poll rarely. A leader that dies sends nothing; its
 * waiters notice on their next poll.
 * <p>
 * Waiting for a notification needs the PostgreSQL JDBC driver's own API; with another
 * driver the waiter sleeps until its next poll instead.
 */
final class ReleaseSignal {

	private static final Log logger = LogFactory.getLog(ReleaseSignal.class);

	private static final boolean PGJDBC_PRESENT = ClassUtils.isPresent("org.postgresql.PGConnection",
			ReleaseSignal.class.getClassLoader());

	private final String channel;

	ReleaseSignal(long lockId) {
		// a hex number is a valid identifier, and LISTEN takes no parameter
		this.channel = "schemagate_" + Long.toHexString(lockId);
	}

	String channel() {
		return this.channel;
	}

	/**
	 * Sends the signal, from the session that has just let go of the fence. In auto-commit
	 * it is delivered at once.
	 * @param session the former leader's session
	 * @throws SQLException if the database fails
	 */
	void send(Connection session) throws SQLException {
		try (PreparedStatement statement = session.prepareStatement("SELECT pg_notify(?, '')")) {
			statement.setString(1, this.channel);
			statement.execute();
		}
	}

	/**
	 * Starts listening on a waiting session, before its first attempt to take the fence, so
	 * that no release between that attempt and the wait goes unheard.
	 * @param waitingSession the waiting session, in auto-commit
	 * @throws SQLException if the database fails
	 */
	void listen(Connection waitingSession) throws SQLException {
		try (Statement statement = waitingSession.createStatement()) {
			statement.execute("LISTEN " + this.channel);
		}
	}

	/**
	 * Stops listening, before the session goes back to its pool or migrates.
	 * @param session the session
	 * @throws SQLException if the database fails
	 */
	void unlisten(Connection session) throws SQLException {
		try (Statement statement = session.createStatement()) {
			statement.execute("UNLISTEN " + this.channel);
		}
	}

	/**
	 * Waits for the signal, or until the timeout.
	 * @param waitingSession the listening session
	 * @param timeout how long to wait
	 * @return whether a leader let go of the fence meanwhile
	 * @throws SQLException if the database fails
	 * @throws InterruptedException if interrupted while sleeping
	 */
	boolean await(Connection waitingSession, Duration timeout) throws SQLException, InterruptedException {
		if (PGJDBC_PRESENT && PgjdbcNotifications.supports(waitingSession)) {
			return PgjdbcNotifications.await(waitingSession, this.channel, timeout);
		}
		logger.trace("The JDBC driver cannot wait for notifications: sleeping until the next poll");
		Thread.sleep(timeout.toMillis());
		return false;
	}

	/**
	 * Reads notifications through the PostgreSQL driver; a class of its own so that nothing
	 * loads the driver's classes where it is absent.
	 */
	private static final class PgjdbcNotifications {

		static boolean supports(Connection session) throws SQLException {
			return session.isWrapperFor(org.postgresql.PGConnection.class);
		}

		static boolean await(Connection session, String channel, Duration timeout) throws SQLException {
			org.postgresql.PGNotification[] notifications = session.unwrap(org.postgresql.PGConnection.class)
				// 0 would wait for ever
				.getNotifications((int) Math.max(1, timeout.toMillis()));
			if (notifications == null) {
				return false;
			}
			for (org.postgresql.PGNotification notification : notifications) {
				if (channel.equals(notification.getName())) {
					return true;
				}
			}
			return false;
		}

	}

}
