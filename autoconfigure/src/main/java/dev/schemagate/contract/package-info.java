/**
 * What a contract changeset is, for every part that treats one apart: the start, the fleet's
 * contract phase, the plan and the changeset check.
 */
@NullMarked
package dev.schemagate.contract;

import org.jspecify.annotations.NullMarked;
