/**
 * A real PostgreSQL server run from binaries in a jar, as a child process: what
 * schemagate's tests and demo use when no server is configured. Not part of the starter.
 */
@NullMarked
package dev.schemagate.embedded;

import org.jspecify.annotations.NullMarked;
