// Package custom owns user-defined metrics: the TOML files ([[metric]]
// tables with context, labels, request, metricsdesc, metricstype,
// ignorezeroresult), their validation and their execution.
//
// A request must be exactly one read-only SELECT, checked with the vitess
// SQL parser go-mysql-server uses; it runs inside START TRANSACTION READ
// ONLY, under the source's query timeout on the client and, where the
// server supports it, on the server (max_execution_time on MySQL,
// max_statement_time on MariaDB), and at most maxRows rows are read.
//
// It must not hold connections or state between scrapes, and it does not
// build Prometheus metrics: the collector package turns rows into metrics.
package custom
