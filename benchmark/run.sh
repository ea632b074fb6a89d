#!/usr/bin/env bash
# Starts fleets of the sample app with schemagate, with plain Spring Boot + Liquibase and with
# Flyway side by side, times them from outside and writes benchmark/target/results/results.md
# and results.csv. Runs on a PostgreSQL server of its own (the tests' embedded one), or on the
# server named as for the tests (SCHEMAGATE_TEST_JDBC_URL, _USERNAME, _PASSWORD), whose user may
# create databases. With --mariadb, the fleet and takeover tables on MariaDB instead: the tests'
# embedded MariaDB, or the server named by SCHEMAGATE_TEST_MARIADB_URL (_USERNAME, _PASSWORD).
# With --cpu SHARE (such as 0.15), every instance runs in a CPU cgroup of its own with that share
# of a core, as a pod with a CPU limit (needs root; otherwise it says so and runs uncapped).
# --only SECTIONS runs some of fleet,takeover,load,single,big (big: a changelog of 2,000 changesets);
# --pairs N sets the rounds of single starts on a migrated database (5, or 1 with --short);
# --sizes 1,12 the fleet sizes.
# Usage: benchmark/run.sh [--short] [--mariadb] [--cpu SHARE] [--only SECTIONS] [--sizes N,..] [--pairs N] [--out DIR]
#   (--short: 1 and 4, no freeze)
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q package -DskipTests -pl sample-app,benchmark/plain-app,benchmark/flyway-app,benchmark/runner -am
exec java -Dbenchmark.root=. -jar benchmark/runner/target/schemagate-benchmark-runner.jar "$@"
