/**
 * The {@code schemagate} actuator endpoint, which shows what each gate of this instance
 * did, who holds the lock now and the fleet's recent migrations, and its
 * auto-configuration.
 */
@NullMarked
package dev.schemagate.autoconfigure.endpoint;

import org.jspecify.annotations.NullMarked;
