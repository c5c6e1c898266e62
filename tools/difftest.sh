#!/usr/bin/env bash
# Differential run: go-mysql-server's enginetest queries against guocedb
# and MariaDB 10.11, started here on free loopback ports in a temporary
# directory, compared by tools/difftest. Out of CI (it takes minutes):
#   tools/difftest.sh [--out FILE] [--limit N]
# Needs mariadb-server (mariadbd, mariadb-install-db) and mariadb-client.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/guocedb-difftest.XXXXXX")
declare -A PID PORT
for tool in mariadbd mariadb-install-db mariadb; do
	command -v "$tool" >/dev/null || { echo "difftest.sh: $tool not found (apt-get install mariadb-server mariadb-client)" >&2; exit 1; }
done

cleanup() {
	local rc=$?
	for t in "${!PID[@]}"; do kill -TERM "${PID[$t]}" 2>/dev/null || true; done
	for t in "${!PID[@]}"; do
		for _ in $(seq 1 50); do kill -0 "${PID[$t]}" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "${PID[$t]}" 2>/dev/null || true
	done
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_up() { # wait_up TARGET: up to 60 s for a SELECT 1
	for _ in $(seq 1 300); do
		mariadb --protocol=tcp -h127.0.0.1 -P"${PORT[$1]}" -uroot -e "SELECT 1" >/dev/null 2>&1 && return 0
		kill -0 "${PID[$1]}" 2>/dev/null || { echo "$1 exited:" >&2; tail -20 "$TMP/$1.log" >&2; exit 1; }
		sleep 0.2
	done
	echo "$1 did not come up within 60 s" >&2
	exit 1
}

(cd "$ROOT" && go build -o "$TMP/guocedb" ./cmd/guocedb && go build -o "$TMP/difftest" ./tools/difftest)
PORT[guocedb]=$(free_port)
"$TMP/guocedb" serve --data-dir "$TMP/guocedb-data" --mysql-addr "127.0.0.1:${PORT[guocedb]}" \
	--http-addr "127.0.0.1:$(free_port)" --admin-addr "" --log-level warn >"$TMP/guocedb.log" 2>&1 &
PID[guocedb]=$!
wait_up guocedb

PORT[mariadb]=$(free_port)
mariadb-install-db --no-defaults --user=root --datadir="$TMP/mariadb-data" \
	--auth-root-authentication-method=normal --skip-test-db >"$TMP/mariadb-install.log" 2>&1
mariadbd --no-defaults --user=root --datadir="$TMP/mariadb-data" --tmpdir="$TMP" \
	--bind-address=127.0.0.1 --port="${PORT[mariadb]}" --socket="$TMP/mariadb.sock" \
	--pid-file="$TMP/mariadb.pid" >"$TMP/mariadb.log" 2>&1 &
PID[mariadb]=$!
wait_up mariadb

"$TMP/difftest" --guocedb "root:@tcp(127.0.0.1:${PORT[guocedb]})/" \
	--reference "root:@tcp(127.0.0.1:${PORT[mariadb]})/" "$@"
if grep -q "caught panic" "$TMP/guocedb.log"; then
	echo "difftest.sh: guocedb logged a caught panic:" >&2
	grep -m3 -A3 "caught panic" "$TMP/guocedb.log" >&2
	exit 1
fi
