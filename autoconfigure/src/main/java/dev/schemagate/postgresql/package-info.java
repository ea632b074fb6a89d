/**
 * The gate on PostgreSQL: its {@link dev.schemagate.gate.GateDatabase}, on session-level
 * advisory locks, {@code pg_stat_activity} and {@code LISTEN}/{@code NOTIFY}.
 */
@NullMarked
package dev.schemagate.postgresql;

import org.jspecify.annotations.NullMarked;
