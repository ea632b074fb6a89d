package dev.schemagate.liquibase;

import java.time.Duration;

/**
 * How a leader waits for Liquibase's lock while a process outside the fleet may hold it.
 *
 * @param timeout how long to wait for a holder that may be alive
 * @param gateTablePrefix the prefix of schemagate's tables, whose fleet registry tells, on a
 * database that does not say when a session began, which sessions began after the fleet's
 * instances started
 */
public record ForeignLockWait(Duration timeout, String gateTablePrefix) {
}
