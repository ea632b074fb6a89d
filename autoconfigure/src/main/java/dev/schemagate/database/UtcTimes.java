package dev.schemagate.database;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Calendar;
import java.util.TimeZone;

import org.jspecify.annotations.Nullable;

/**
 * Times in the gate's tables, written and read as UTC whatever the time zone of the JVM:
 * a database without a type that keeps the offset stores the UTC time, and one with such a
 * type ignores the calendar.
 */
public final class UtcTimes {

	private static final TimeZone UTC = TimeZone.getTimeZone("UTC");

	private UtcTimes() {
	}

	/**
	 * Sets a time parameter.
	 * @param statement the statement
	 * @param index the parameter's index
	 * @param time the time
	 * @throws SQLException if the database fails
	 */
	public static void set(PreparedStatement statement, int index, Instant time) throws SQLException {
		statement.setTimestamp(index, Timestamp.from(time), Calendar.getInstance(UTC));
	}

	/**
	 * Reads a time column.
	 * @param result the result, on its current row
	 * @param index the column's index
	 * @return the time, {@code null} for SQL {@code NULL}
	 * @throws SQLException if the database fails
	 */
	public static @Nullable Instant read(ResultSet result, int index) throws SQLException {
		Timestamp timestamp = result.getTimestamp(index, Calendar.getInstance(UTC));
		return (timestamp != null) ? timestamp.toInstant() : null;
	}

	/**
	 * Reads a time column.
	 * @param result the result, on its current row
	 * @param column the column's label
	 * @return the time, {@code null} for SQL {@code NULL}
	 * @throws SQLException if the database fails
	 */
	public static @Nullable Instant read(ResultSet result, String column) throws SQLException {
		Timestamp timestamp = result.getTimestamp(column, Calendar.getInstance(UTC));
		return (timestamp != null) ? timestamp.toInstant() : null;
	}

}
