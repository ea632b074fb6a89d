/**
 * What the gate asks of a database, in one interface ({@code GateDatabase}) with one
 * implementation per database, found with {@code ServiceLoader}: the fence and its holder,
 * ending a frozen holder, the waiting poll and its wake-up, blocker sampling, session
 * settings and the DDL of the gate's tables.
 */
@NullMarked
package dev.schemagate.database;

import org.jspecify.annotations.NullMarked;
