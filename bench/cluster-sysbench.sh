#!/usr/bin/env bash
# sysbench on a 3-member guocedb cluster against a single node, in one run
# (issue 12, acceptance 9): every server on this machine, on loopback.
#
#   bench/cluster-sysbench.sh [--duration S] [--threads N] [--tables N]
#                             [--table-size N] [--workloads "..."] [--keep]
#
# For each workload: the single node, then the cluster's leader, then a
# follower (reads there are linearizable by default: a read index from
# the leader; writes are forwarded to the leader), then the leader and
# the follower again with guocedb_read_consistency = stale. Prints QPS,
# p95 and the ratio to the single node. Needs sysbench, mariadb-client
# (or mysql), Go, python3.
set -euo pipefail

DURATION=${DURATION:-15}
THREADS=${THREADS:-8}
TABLES=${TABLES:-4}
TABLE_SIZE=${TABLE_SIZE:-10000}
WORKLOADS=${WORKLOADS:-"oltp_point_select oltp_write_only"}
KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DURATION=$2; shift 2 ;;
	--threads) THREADS=$2; shift 2 ;;
	--tables) TABLES=$2; shift 2 ;;
	--table-size) TABLE_SIZE=$2; shift 2 ;;
	--workloads) WORKLOADS=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	-h | --help) sed -n '2,13p' "$0"; exit 0 ;;
	*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done

need() { command -v "$1" >/dev/null || { echo "needs $1 ($2)" >&2; exit 1; }; }
need sysbench sysbench
need python3 python3
MYSQL=$(command -v mariadb || command -v mysql || true)
[ -n "$MYSQL" ] || { echo "needs mariadb or mysql (mariadb-client)" >&2; exit 1; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/guocedb-cluster-bench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ "$KEEP" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
sql() { "$MYSQL" --protocol=tcp -h127.0.0.1 -P"$1" -uroot -N -e "$2"; }
wait_sql() { # wait_sql PORT: up to 60 s for a SELECT 1
	for _ in $(seq 1 300); do
		sql "$1" "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "no server on port $1 within 60 s" >&2
	exit 1
}

echo "building guocedb..."
(cd "$ROOT" && go build -o "$TMP/guocedb" ./cmd/guocedb)

serve() { # serve NAME MYSQLPORT [flags...]
	local name=$1 port=$2
	shift 2
	"$TMP/guocedb" serve --data-dir "$TMP/$name" --mysql-addr "127.0.0.1:$port" \
		--http-addr "127.0.0.1:$(free_port)" --admin-addr "127.0.0.1:$(free_port)" \
		--log-level warn "$@" >"$TMP/$name.log" 2>&1 &
	PIDS+=($!)
}

SINGLE=$(free_port)
serve single "$SINGLE"
declare -a CPORT RPORT
IC=""
for i in 1 2 3; do
	CPORT[$i]=$(free_port)
	RPORT[$i]=$(free_port)
	IC="$IC${IC:+,}n$i=127.0.0.1:${RPORT[$i]}"
done
for i in 1 2 3; do
	serve "n$i" "${CPORT[$i]}" --node-id "n$i" --raft-addr "127.0.0.1:${RPORT[$i]}" --initial-cluster "$IC"
done
wait_sql "$SINGLE"
for i in 1 2 3; do wait_sql "${CPORT[$i]}"; done

LEADER="" FOLLOWER=""
for _ in $(seq 1 100); do
	for i in 1 2 3; do
		if [ "$(sql "${CPORT[$i]}" 'SELECT @@read_only' 2>/dev/null || echo x)" = 0 ]; then LEADER=${CPORT[$i]}; fi
	done
	[ -n "$LEADER" ] && break
	sleep 0.2
done
[ -n "$LEADER" ] || { echo "the cluster elected no leader" >&2; exit 1; }
for i in 1 2 3; do [ "${CPORT[$i]}" != "$LEADER" ] && FOLLOWER=${CPORT[$i]} && break; done

SB=(sysbench --db-driver=mysql --mysql-host=127.0.0.1 --mysql-user=root --mysql-password=
	--mysql-db=sbtest --tables="$TABLES" --table-size="$TABLE_SIZE" --threads="$THREADS")
for port in "$SINGLE" "$LEADER"; do
	sql "$port" "CREATE DATABASE sbtest"
	"${SB[@]}" --mysql-port="$port" oltp_read_write prepare >/dev/null
done
# The follower has the data once it applied the leader's log.
for _ in $(seq 1 300); do
	[ "$(sql "$FOLLOWER" "SELECT COUNT(*) FROM sbtest.sbtest$TABLES" 2>/dev/null || echo 0)" = "$TABLE_SIZE" ] && break
	sleep 0.2
done

# run PORT WORKLOAD [init SQL]: prints "QPS P95"
run() {
	local extra=()
	[ -n "${3:-}" ] && extra=(--mysql-init-command="$3")
	"${SB[@]}" --mysql-port="$1" --time="$DURATION" --report-interval=0 --mysql-ignore-errors=all \
		"$2" run 2>/dev/null >"$TMP/run.txt" || true
	awk '/queries:/ {q=$3; gsub(/\(/,"",q)} /95th percentile:/ {p=$3} END {printf "%s %s\n", q, p}' "$TMP/run.txt"
}

printf "%-20s %-32s %10s %10s %8s\n" workload target QPS "p95 ms" ratio
for w in $WORKLOADS; do
	read -r base bp95 < <(run "$SINGLE" "$w")
	printf "%-20s %-32s %10s %10s %8s\n" "$w" "single node" "$base" "$bp95" "1.00"
	for target in "leader:$LEADER" "follower:$FOLLOWER"; do
		read -r q p < <(run "${target#*:}" "$w")
		printf "%-20s %-32s %10s %10s %8.2f\n" "$w" "3 members, ${target%%:*}" "$q" "$p" "$(python3 -c "print($q/$base if $base else 0)")"
	done
done
echo
echo "stale reads (guocedb_read_consistency = stale, sysbench cannot set it per session: set globally)"
for port in "$LEADER" "$FOLLOWER"; do sql "$port" "SET GLOBAL guocedb_read_consistency = 'stale'"; done
read -r base bp95 < <(run "$SINGLE" oltp_point_select)
for target in "leader:$LEADER" "follower:$FOLLOWER"; do
	read -r q p < <(run "${target#*:}" oltp_point_select)
	printf "%-20s %-32s %10s %10s %8.2f\n" oltp_point_select "3 members, ${target%%:*}, stale" "$q" "$p" "$(python3 -c "print($q/$base if $base else 0)")"
done
