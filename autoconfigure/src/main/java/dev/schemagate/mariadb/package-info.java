/**
 * The gate's database seam on MariaDB and MySQL: the fence as a named lock
 * ({@code GET_LOCK}), its holder from {@code IS_USED_LOCK}, {@code KILL CONNECTION}, the
 * tables' DDL, and what each server names otherwise.
 */
@NullMarked
package dev.schemagate.mariadb;

import org.jspecify.annotations.NullMarked;
