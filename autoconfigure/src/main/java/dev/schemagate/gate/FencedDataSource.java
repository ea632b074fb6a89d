package dev.schemagate.gate;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.schemagate.database.GateDatabase;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.datasource.AbstractDataSource;

/**
 * The session that holds the fence, as a data source whose only connection it is; closing
 * that connection does nothing, so that a migration tool that closes its connection when
 * done does not let go of the fence early.
 * <p>
 * A lock the migration tool takes on this session can be stamped with {@link #stamp()}.
 * A later leader tells from the stamp that the lock was taken by a leader of the fleet,
 * and whether that leader's session has ended: then nobody holds the lock any more, whatever
 * the row still says.
 */
public final class FencedDataSource extends AbstractDataSource {

	private static final Pattern STAMP = Pattern.compile("^schemagate fence ([0-9a-f]{16})\\b");

	private final GateDatabase database;

	private final Connection connection;

	private final long lockId;

	FencedDataSource(GateDatabase database, Connection target, long lockId) {
		this.database = database;
		this.lockId = lockId;
		this.connection = SessionView.of(target).keepingOpen().connection();
	}

	@Override
	public Connection getConnection() {
		return this.connection;
	}

	@Override
	public Connection getConnection(String username, String password) throws SQLException {
		throw new SQLException("The fenced session cannot be opened with other credentials");
	}

	// null is the DataSource contract's "logging is disabled", which AbstractDataSource throws for
	@Override
	@SuppressWarnings("NullAway")
	public @Nullable PrintWriter getLogWriter() {
		return null;
	}

	/**
	 * Returns the database the fenced session is on.
	 * @return the gate's database
	 */
	public GateDatabase database() {
		return this.database;
	}

	/**
	 * Returns the text to put at the start of a lock's owner, such as Liquibase's
	 * {@code LOCKEDBY}, taken on this session.
	 * @return the stamp, naming this fence
	 */
	public String stamp() {
		return "schemagate fence " + HexFormat.of().toHexDigits(this.lockId);
	}

	/**
	 * Tells whether a lock owner carries a stamp and, if so, whether the leader that took
	 * the lock has lost its fenced session since. A stamp of this fence is always of an
	 * ended session: this instance holds the fence, so the session that stamped it is gone.
	 * A stamp of another fence (another lock key on the same tables) is of an ended session
	 * when no session holds that fence.
	 * @param owner the lock's owner as the lock table has it
	 * @return empty when the owner carries no stamp, else whether its session has ended
	 * @throws SQLException if the database fails
	 */
	public Optional<Boolean> stampedSessionEnded(@Nullable String owner) throws SQLException {
		Matcher matcher = (owner != null) ? STAMP.matcher(owner) : null;
		if (matcher == null || !matcher.find()) {
			return Optional.empty();
		}
		long stampedLockId = HexFormat.fromHexDigitsToLong(matcher.group(1));
		if (stampedLockId == this.lockId) {
			return Optional.of(true);
		}
		return Optional.of(!this.database.fenceHeldElsewhere(this.connection, stampedLockId));
	}

}
