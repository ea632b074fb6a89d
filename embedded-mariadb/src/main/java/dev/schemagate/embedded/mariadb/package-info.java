/**
 * A real MariaDB server run from the binaries in a jar, for tests.
 */
@NullMarked
package dev.schemagate.embedded.mariadb;

import org.jspecify.annotations.NullMarked;
