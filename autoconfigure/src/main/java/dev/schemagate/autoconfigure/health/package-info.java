/**
 * Health of the schema migration: the {@code schemagate} health indicator, with the state
 * of each gate, and its auto-configuration.
 */
@NullMarked
package dev.schemagate.autoconfigure.health;

import org.jspecify.annotations.NullMarked;
