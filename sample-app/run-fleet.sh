#!/usr/bin/env bash
# Starts a fleet of sample-app instances at once on one PostgreSQL database and reports each
# one's readiness. Usage: sample-app/run-fleet.sh [instances] (default 4). Ctrl-C stops them.
set -euo pipefail
cd "$(dirname "$0")"
instances=${1:-4}
jar=target/schemagate-sample-app-0.1.0-SNAPSHOT.jar
[ -f "$jar" ] || (cd .. && mvn -B -q install -DskipTests)
export SAMPLE_DB_URL=${SAMPLE_DB_URL:-jdbc:postgresql://localhost:5432/schemagate_sample}
export SAMPLE_DB_USERNAME=${SAMPLE_DB_USERNAME:-schemagate}
export SAMPLE_DB_PASSWORD=${SAMPLE_DB_PASSWORD:-schemagate}
mkdir -p target/fleet
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
for i in $(seq 1 "$instances"); do
	port=$((8080 + i))
	java -XX:TieredStopAtLevel=1 -jar "$jar" --server.port="$port" "${@:2}" > "target/fleet/instance-$i.log" 2>&1 &
	pids+=($!)
	echo "instance $i: pid $!, http://localhost:$port, log sample-app/target/fleet/instance-$i.log"
done
start=$(date +%s)
ready=()
while [ ${#ready[@]} -lt "$instances" ]; do
	for i in $(seq 1 "$instances"); do
		[[ " ${ready[*]} " == *" $i "* ]] && continue
		if curl -fs "http://localhost:$((8080 + i))/actuator/health/readiness" >/dev/null 2>&1; then
			ready+=("$i")
			echo "instance $i ready after $(( $(date +%s) - start ))s"
		elif ! kill -0 "${pids[$((i - 1))]}" 2>/dev/null; then
			echo "instance $i exited; see sample-app/target/fleet/instance-$i.log" >&2
			exit 1
		fi
	done
	sleep 1
done
echo "all $instances instances ready; Ctrl-C stops them"
wait
