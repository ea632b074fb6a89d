package dev.schemagate.gate;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.function.BooleanSupplier;

/**
 * A view of a database session that leaves undone some of what its user asks: how schemagate
 * lends a session to a migration tool that would otherwise close it, change its auto-commit,
 * or end its transactions, while everything else goes to the session itself.
 */
public final class SessionView {

	private final Connection session;

	private boolean keepsOpen;

	private boolean keepsAutoCommit;

	private boolean reportsAutoCommit;

	private boolean keepsTransactions;

	private BooleanSupplier holdsCommits = () -> false;

	private Runnable onAutoCommit = () -> {
	};

	private SessionView(Connection session) {
		this.session = session;
	}

	/**
	 * Starts a view of a session that, until told otherwise, does everything it is asked.
	 * @param session the session
	 * @return the view
	 */
	public static SessionView of(Connection session) {
		return new SessionView(session);
	}

	/**
	 * Closing the view does nothing: the session stays open for its owner.
	 * @return this view
	 */
	public SessionView keepingOpen() {
		this.keepsOpen = true;
		return this;
	}

	/**
	 * Setting auto-commit does nothing: the session stays as its owner set it.
	 * @return this view
	 */
	public SessionView keepingAutoCommit() {
		this.keepsAutoCommit = true;
		return this;
	}

	/**
	 * The view reports auto-commit on, whatever the session's setting.
	 * @return this view
	 */
	public SessionView reportingAutoCommit() {
		this.reportsAutoCommit = true;
		return this;
	}

	/**
	 * Committing and rolling back do nothing: the session's transactions are its owner's.
	 * @return this view
	 */
	public SessionView keepingTransactions() {
		this.keepsTransactions = true;
		return this;
	}

	/**
	 * Committing does nothing while commits are held; turning auto-commit on, which commits,
	 * first tells the owner.
	 * @param holding whether commits are held now
	 * @param autoCommitTurnedOn what to run before auto-commit is turned on
	 * @return this view
	 */
	public SessionView holdingCommits(BooleanSupplier holding, Runnable autoCommitTurnedOn) {
		this.holdsCommits = holding;
		this.onAutoCommit = autoCommitTurnedOn;
		return this;
	}

	/**
	 * Returns the view as a connection.
	 * @return the connection
	 */
	public Connection connection() {
		return (Connection) Proxy.newProxyInstance(SessionView.class.getClassLoader(), new Class<?>[] { Connection.class },
				(proxy, method, args) -> {
					switch (method.getName()) {
						case "close" -> {
							if (this.keepsOpen) {
								return null;
							}
						}
						case "setAutoCommit" -> {
							if (this.keepsAutoCommit) {
								return null;
							}
							if (Boolean.TRUE.equals(args[0])) {
								this.onAutoCommit.run();
							}
						}
						case "getAutoCommit" -> {
							if (this.reportsAutoCommit) {
								return true;
							}
						}
						case "commit" -> {
							if (this.keepsTransactions || this.holdsCommits.getAsBoolean()) {
								return null;
							}
						}
						case "rollback" -> {
							if (this.keepsTransactions) {
								return null;
							}
						}
						default -> {
						}
					}
					try {
						return method.invoke(this.session, args);
					}
					catch (InvocationTargetException ex) {
						throw ex.getTargetException();
					}
				});
	}

}
