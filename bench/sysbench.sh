#!/usr/bin/env bash
# Side-by-side sysbench OLTP run: guocedb (built from this repo) against a
# MariaDB this script starts itself, both on loopback with temporary data
# directories, alternating guocedb / MariaDB per workload and round
# (A B A B) so that machine noise hits both alike. Prints QPS, p95 latency
# and the guocedb/MariaDB ratio per workload, and each server's peak RSS.
# Everything it starts is killed on exit. See bench/README.md.
set -euo pipefail

usage() {
	cat <<'USAGE'
usage: bench/sysbench.sh [options]
  --duration SECONDS   run time of each workload run (default 20, env DURATION)
  --rounds N           A/B repetitions per workload (default 2, env ROUNDS)
  --threads N          sysbench threads (default 8, env THREADS)
  --tables N           tables (default 4, env TABLES)
  --table-size N       rows per table (default 10000, env TABLE_SIZE)
  --workloads "A B"    sysbench workloads (default: oltp_point_select oltp_read_only
                       oltp_write_only oltp_insert, env WORKLOADS)
  --ps-mode MODE       --db-ps-mode for guocedb: auto|disable (default auto, env PS_MODE)
  --only TARGET        run one side only: guocedb|mariadb (env ONLY)
  --encrypted          also run guocedb with encryption at rest (a third server,
                       guocedb_enc, with a fresh key) in the same run, and print
                       its cost against plain guocedb (env ENCRYPTED=1)
  --keep               keep the temporary directory (logs, data)
USAGE
}

DURATION=${DURATION:-20}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-8}
TABLES=${TABLES:-4}
TABLE_SIZE=${TABLE_SIZE:-10000}
WORKLOADS=${WORKLOADS:-"oltp_point_select oltp_read_only oltp_write_only oltp_insert"}
PS_MODE=${PS_MODE:-auto}
ONLY=${ONLY:-}
ENCRYPTED=${ENCRYPTED:-0}
KEEP=0

while [ $# -gt 0 ]; do
	case "$1" in
	--duration) DURATION=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--threads) THREADS=$2; shift 2 ;;
	--tables) TABLES=$2; shift 2 ;;
	--table-size) TABLE_SIZE=$2; shift 2 ;;
	--workloads) WORKLOADS=$2; shift 2 ;;
	--ps-mode) PS_MODE=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	--encrypted) ENCRYPTED=1; shift ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "sysbench.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
done

case "$PS_MODE" in auto | disable) ;; *) echo "sysbench.sh: --ps-mode must be auto or disable" >&2; exit 2 ;; esac
case "$ONLY" in "" | guocedb | mariadb) ;; *) echo "sysbench.sh: --only must be guocedb or mariadb" >&2; exit 2 ;; esac
TARGETS="guocedb mariadb"
[ -n "$ONLY" ] && TARGETS=$ONLY
if [ "$ENCRYPTED" = 1 ]; then
	[ "$ONLY" = mariadb ] && { echo "sysbench.sh: --encrypted needs guocedb" >&2; exit 2; }
	TARGETS="$TARGETS guocedb_enc"
fi

need() { command -v "$1" >/dev/null || { echo "sysbench.sh: $1 not found (apt-get install $2)" >&2; exit 1; }; }
need sysbench sysbench
need mariadb mariadb-client
if [[ " $TARGETS " == *" mariadb "* ]]; then
	need mariadbd mariadb-server
	need mariadb-install-db mariadb-server
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/guocedb-bench.XXXXXX")
declare -A PID PORT PEAK

cleanup() {
	local rc=$?
	for t in "${!PID[@]}"; do
		kill -TERM "${PID[$t]}" 2>/dev/null || true
	done
	for t in "${!PID[@]}"; do
		# Bounded wait, then SIGKILL.
		for _ in $(seq 1 50); do kill -0 "${PID[$t]}" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "${PID[$t]}" 2>/dev/null || true
	done
	[ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null || true
	if [ "$KEEP" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
	exit $rc
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

client() { # client TARGET SQL
	mariadb --protocol=tcp -h127.0.0.1 -P"${PORT[$1]}" -uroot -e "$2"
}

wait_up() { # wait_up TARGET: up to 60 s for a SELECT 1
	for _ in $(seq 1 300); do
		client "$1" "SELECT 1" >/dev/null 2>&1 && return 0
		kill -0 "${PID[$1]}" 2>/dev/null || { echo "$1 exited; log:" >&2; tail -20 "$TMP/$1.log" >&2; exit 1; }
		sleep 0.2
	done
	echo "$1 did not come up within 60 s; log:" >&2
	tail -20 "$TMP/$1.log" >&2
	exit 1
}

serve_guocedb() { # serve_guocedb TARGET [env...]: one guocedb server on its own data directory
	local t=$1; shift
	if [ ! -x "$TMP/guocedb" ]; then
		echo "building guocedb..."
		(cd "$ROOT" && go build -o "$TMP/guocedb" ./cmd/guocedb)
	fi
	PORT[$t]=$(free_port)
	env "$@" "$TMP/guocedb" serve --data-dir "$TMP/$t-data" \
		--mysql-addr "127.0.0.1:${PORT[$t]}" --http-addr "127.0.0.1:$(free_port)" \
		--admin-addr "127.0.0.1:$(free_port)" --log-level warn >"$TMP/$t.log" 2>&1 &
	PID[$t]=$!
	wait_up "$t"
}

start_guocedb() { serve_guocedb guocedb; }

# guocedb with encryption at rest: Badger, the commit log, the slow log.
start_guocedb_enc() {
	(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$TMP/encryption.key")
	serve_guocedb guocedb_enc GUOCEDB_ENCRYPTION_KEY_FILE="$TMP/encryption.key"
}

start_mariadb() {
	PORT[mariadb]=$(free_port)
	mariadb-install-db --no-defaults --user=root --datadir="$TMP/mariadb-data" \
		--auth-root-authentication-method=normal --skip-test-db >"$TMP/mariadb-install.log" 2>&1
	# Durable like guocedb: the redo log is flushed at every commit.
	mariadbd --no-defaults --user=root --datadir="$TMP/mariadb-data" \
		--bind-address=127.0.0.1 --port="${PORT[mariadb]}" --socket="$TMP/mariadb.sock" \
		--pid-file="$TMP/mariadb.pid" --innodb-flush-log-at-trx-commit=1 \
		--max-connections=200 >"$TMP/mariadb.log" 2>&1 &
	PID[mariadb]=$!
	wait_up mariadb
}

# Peak RSS: poll VmRSS once a second, keep the maximum per server (VmHWM
# is read at the end too, and the larger of the two is reported).
sample_rss() {
	while true; do
		for t in $TARGETS; do
			kb=$(awk '/^VmRSS:/ {print $2}' "/proc/${PID[$t]}/status" 2>/dev/null || echo 0)
			prev=$(cat "$TMP/$t.rss" 2>/dev/null || echo 0)
			[ "${kb:-0}" -gt "$prev" ] && echo "$kb" >"$TMP/$t.rss"
		done
		sleep 1
	done
}

sb() { # sb TARGET WORKLOAD COMMAND [extra...]
	local t=$1 w=$2 cmd=$3; shift 3
	local ps=auto
	[ "$t" != mariadb ] && ps=$PS_MODE
	timeout $((DURATION + 300)) sysbench "$w" --db-driver=mysql \
		--mysql-host=127.0.0.1 --mysql-port="${PORT[$t]}" --mysql-user=root --mysql-password= \
		--mysql-db=sbtest --db-ps-mode="$ps" --tables="$TABLES" --table-size="$TABLE_SIZE" \
		--threads="$THREADS" "$@" "$cmd"
}

for t in $TARGETS; do
	"start_$t"
	client "$t" "CREATE DATABASE IF NOT EXISTS sbtest"
	echo "preparing $t: $TABLES tables x $TABLE_SIZE rows..."
	sb "$t" oltp_read_write prepare >"$TMP/$t.prepare.log" 2>&1 || {
		echo "prepare on $t failed:" >&2; tail -20 "$TMP/$t.prepare.log" >&2; exit 1; }
done
sample_rss &
SAMPLER=$!

# results: "workload target qps p95" lines, one per run ("fail" for both
# when sysbench failed; failed runs are left out of the means).
: >"$TMP/results"
FAILED=0
for w in $WORKLOADS; do
	for r in $(seq 1 "$ROUNDS"); do
		for t in $TARGETS; do
			log="$TMP/$t.$w.$r.log"
			echo "run $w round $r on $t (${DURATION}s)..."
			if ! sb "$t" "$w" run --time="$DURATION" --report-interval=0 --histogram=off >"$log" 2>&1; then
				echo "  failed; see below" >&2; tail -15 "$log" >&2
				echo "$w $t fail fail" >>"$TMP/results"
				FAILED=1
				continue
			fi
			qps=$(awk '/queries:/ {gsub(/[()]/, "", $3); print $3}' "$log")
			p95=$(awk '/95th percentile:/ {print $3}' "$log")
			echo "  qps=$qps p95=${p95}ms"
			echo "$w $t ${qps:-0} ${p95:-0}" >>"$TMP/results"
		done
	done
done

for t in $TARGETS; do
	hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/${PID[$t]}/status" 2>/dev/null || echo 0)
	rss=$(cat "$TMP/$t.rss" 2>/dev/null || echo 0)
	PEAK[$t]=$(( hwm > rss ? hwm : rss ))
done

echo
echo "sysbench: $THREADS threads, $TABLES x $TABLE_SIZE rows, ${DURATION}s x $ROUNDS rounds, guocedb ps-mode=$PS_MODE"
awk -v targets="$TARGETS" '
	!($1 in seen) { seen[$1]=1; order[++k]=$1 }
	$3 == "fail" { bad[$1" "$2]++; next }
	{ q[$1" "$2] += $3; p[$1" "$2] += $4; n[$1" "$2]++ }
	END {
		printf "%-18s %12s %12s %7s %12s %12s %7s\n", "workload", "guocedb QPS", "MariaDB QPS", "ratio", "guocedb p95", "MariaDB p95", "ratio"
		for (i = 1; i <= k; i++) {
			w = order[i]
			gq = n[w" guocedb"] ? q[w" guocedb"]/n[w" guocedb"] : 0; mq = n[w" mariadb"] ? q[w" mariadb"]/n[w" mariadb"] : 0
			gp = n[w" guocedb"] ? p[w" guocedb"]/n[w" guocedb"] : 0; mp = n[w" mariadb"] ? p[w" mariadb"]/n[w" mariadb"] : 0
			both = n[w" guocedb"] && n[w" mariadb"]
			qr = both && mq > 0 ? sprintf("%.2f", gq/mq) : "-"; pr = both && mp > 0 ? sprintf("%.2f", gp/mp) : "-"
			note = ""
			if (bad[w" guocedb"]) note = note sprintf("  guocedb: %d run(s) failed", bad[w" guocedb"])
			if (bad[w" mariadb"]) note = note sprintf("  MariaDB: %d run(s) failed", bad[w" mariadb"])
			printf "%-18s %12.1f %12.1f %7s %10.2fms %10.2fms %7s%s\n", w, gq, mq, qr, gp, mp, pr, note
		}
	}' "$TMP/results"
if [ "$ENCRYPTED" = 1 ]; then
	echo
	echo "encryption at rest: guocedb_enc (encrypted) against guocedb (plain), same run"
	awk '
		!($1 in seen) { seen[$1]=1; order[++k]=$1 }
		$3 == "fail" { next }
		{ q[$1" "$2] += $3; p[$1" "$2] += $4; n[$1" "$2]++ }
		END {
			printf "%-18s %12s %12s %9s %12s %12s\n", "workload", "plain QPS", "enc QPS", "enc/plain", "plain p95", "enc p95"
			for (i = 1; i <= k; i++) {
				w = order[i]
				if (!n[w" guocedb"] || !n[w" guocedb_enc"]) continue
				a = q[w" guocedb"]/n[w" guocedb"]; b = q[w" guocedb_enc"]/n[w" guocedb_enc"]
				printf "%-18s %12.1f %12.1f %9.2f %10.2fms %10.2fms\n", w, a, b, (a > 0 ? b/a : 0), p[w" guocedb"]/n[w" guocedb"], p[w" guocedb_enc"]/n[w" guocedb_enc"]
			}
		}' "$TMP/results"
fi
for t in $TARGETS; do
	printf "peak RSS %-11s %8.1f MiB\n" "$t" "$(echo "${PEAK[$t]}" | awk '{print $1/1024}')"
done
if [ "$FAILED" = 1 ]; then
	echo "some sysbench runs failed (their logs are printed above)" >&2
	exit 1
fi
