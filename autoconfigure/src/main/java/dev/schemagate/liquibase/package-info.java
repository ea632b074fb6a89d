/**
 * Liquibase under the gate: runs a {@code SpringLiquibase} bean on the fenced session,
 * tells without a lock whether the schema already holds its changelog, and shows what it
 * would apply without applying it. Each changeset's rollback can be recorded, so that an
 * older version rolls back what a newer one applied.
 */
@NullMarked
package dev.schemagate.liquibase;

import org.jspecify.annotations.NullMarked;
