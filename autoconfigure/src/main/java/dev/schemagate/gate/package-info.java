/**
 * The gate: lets one instance of a fleet at a time migrate a database, fenced by a lock
 * that lives exactly as long as one session, while the others wait for it; a frozen or
 * cut-off leader is ended and replaced. The leader's progress and the migration history
 * are kept in tables of the gate's own. Everything said to the database goes through
 * {@link dev.schemagate.database.GateDatabase}; what the gate tells of a migration is in
 * {@link dev.schemagate.status}.
 */
@NullMarked
package dev.schemagate.gate;

import org.jspecify.annotations.NullMarked;
