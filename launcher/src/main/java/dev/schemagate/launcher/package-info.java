/**
 * Starts packaged applications as JVMs of their own, and watches them from outside: for the
 * fleet tests, the benchmark and the demo.
 */
@NullMarked
package dev.schemagate.launcher;

import org.jspecify.annotations.NullMarked;
