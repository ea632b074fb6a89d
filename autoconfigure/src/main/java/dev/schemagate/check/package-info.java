/**
 * The changeset check: finds changes that are unsafe while the previous version still
 * serves on the schema or while the application is busy, in Liquibase's change types and,
 * with JSqlParser, in raw SQL. It reviews the pending changesets before a migration, and
 * checks a changelog from an application's own tests.
 */
@NullMarked
package dev.schemagate.check;

import org.jspecify.annotations.NullMarked;
