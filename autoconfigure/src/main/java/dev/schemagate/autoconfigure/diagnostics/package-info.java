/**
 * Failure analyzers for the exceptions that stop a start under schemagate, one per
 * exception, each saying what happened and what to change.
 */
@NullMarked
package dev.schemagate.autoconfigure.diagnostics;

import org.jspecify.annotations.NullMarked;
