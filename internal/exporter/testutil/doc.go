// Package testutil starts real servers for the exporter's tests: MariaDB
// from Debian on a temporary datadir and a free loopback port, and a real
// Prometheus. Every wait loop is bounded in count and time, every process
// is stopped in t.Cleanup, and nothing listens beyond 127.0.0.1.
//
// With CI=true a missing binary fails the test; otherwise the test is
// skipped with the reason.
package testutil
