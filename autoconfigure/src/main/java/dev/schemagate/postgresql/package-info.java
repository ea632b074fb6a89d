/**
 * The gate on PostgreSQL: its {@link dev.schemagate.database.GateDatabase}, on session-level
 * advisory locks, {@code pg_stat_activity} and {@code LISTEN}/{@code NOTIFY}.
 */
@NullMarked
package dev.schemagate.postgresql;

import org.jspecify.annotations.NullMarked;
