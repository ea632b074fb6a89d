/**
 * What a gate tells of a migration: its state and what it applied ({@code GateStatus}), the
 * events it hears ({@code GateListener}), the schema's position, the leader and its
 * progress, the session holding the fence. Read by readiness, health, the endpoint, the
 * meters and the logs; knows nothing of the gate's protocol, the database or Spring.
 */
@NullMarked
package dev.schemagate.status;

import org.jspecify.annotations.NullMarked;
