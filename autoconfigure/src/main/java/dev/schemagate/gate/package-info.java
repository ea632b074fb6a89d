/**
 * The gate: lets one instance of a fleet at a time migrate a PostgreSQL database, fenced
 * by a session-level advisory lock, while the others wait for it. The leader's progress,
 * the migration history and the fleet's instances are kept in tables of the gate's own.
 */
@NullMarked
package dev.schemagate.gate;

import org.jspecify.annotations.NullMarked;
