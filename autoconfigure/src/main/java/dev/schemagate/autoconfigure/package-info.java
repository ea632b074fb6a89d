/**
 * Auto-configuration of schemagate: hands each {@code SpringLiquibase} bean to the start
 * strategy of {@code schemagate.mode} (migrate, job, plan, wait), keeps the instance in the
 * fleet registry, applies contract changesets and downgrades on a schedule, and turns the
 * schema's state into readiness.
 */
@NullMarked
package dev.schemagate.autoconfigure;

import org.jspecify.annotations.NullMarked;
