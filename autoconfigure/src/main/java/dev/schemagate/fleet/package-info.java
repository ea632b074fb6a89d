/**
 * The fleet: the instances that share a gate, each recorded with its version and what its
 * changelog holds and kept alive by a heartbeat ({@code SCHEMAGATE_INSTANCE}), and the rule
 * by which a live instance holds a change back that would break it. Knows nothing of
 * Liquibase or Spring: a changeset is its {@code id:author} key.
 */
@NullMarked
package dev.schemagate.fleet;

import org.jspecify.annotations.NullMarked;
