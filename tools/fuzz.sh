#!/usr/bin/env bash
# Runs every Go fuzz target of the module (func FuzzXxx in a _test.go
# file) for a bounded time each: tools/fuzz.sh [DURATION] (default 30s).
# A failure stops the run; the crasher is in the package's
# testdata/fuzz/FuzzXxx/ directory: commit it, so that plain `go test`
# replays it from then on, and fix the bug.
set -euo pipefail
cd "$(dirname "$0")/.."
time="${1:-30s}"
targets=$(grep -rHoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(' . |
	sed -E 's#^\./(.*)/[^/]+:func (Fuzz[A-Za-z0-9_]+)\(#\1 \2#' | sort)
n=$(printf '%s\n' "$targets" | grep -c . || true)
echo "fuzz: $n targets, $time each"
while read -r dir name; do
	[ -n "$name" ] || continue
	echo "fuzz: $name in ./$dir"
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$time" -fuzzminimizetime 5s "./$dir"
done <<<"$targets"
echo "fuzz: $n targets passed"
