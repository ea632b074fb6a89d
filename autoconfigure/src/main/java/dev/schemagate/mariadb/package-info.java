/**
 * The gate's database seam on MariaDB: the fence as a named lock ({@code GET_LOCK}), its
 * holder from {@code IS_USED_LOCK}, {@code KILL CONNECTION}, the tables' DDL.
 */
@NullMarked
package dev.schemagate.mariadb;

import org.jspecify.annotations.NullMarked;
