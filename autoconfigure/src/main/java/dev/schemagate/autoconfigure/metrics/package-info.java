/**
 * Meters and observations of the gates: the time an instance waited for the lock and held
 * it to migrate, the changesets applied and pending, and traces of acquiring the lock and
 * migrating.
 */
@NullMarked
package dev.schemagate.autoconfigure.metrics;

import org.jspecify.annotations.NullMarked;
