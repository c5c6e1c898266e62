// Package mysqlserver assembles the SQL engine (go-mysql-server over the
// backend provider), the users and grants store, and the MySQL wire
// listener. It owns nothing on disk itself: all state goes through the
// backend's catalog and so through storage's commit path.
//
// Where go-mysql-server v0.20.0 gets MySQL wrong in ways clients see, the
// fix lives here, never in a patched go-mysql-server: analyzer rules
// (rules.go, createlike.go), plan rewrites before execution (unsigned.go,
// timecast.go), guocedb's own LOAD DATA iterator (loaddata.go,
// loaddata_reader.go), MySQL's tabular EXPLAIN read from the analyzed plan
// (explain.go, explain_access.go; the server's executor only, as
// go-mysql-server's own suites expect its placeholder), the process
// list's client host:port (processlist.go), results encoded into the
// client's character set with `?` for what it lacks (results_charset.go),
// client character sets go-mysql-server cannot convert, decoded and
// encoded at the wire (wire_charsets.go, convert_using.go), the database
// of qualified names for a session without a current one
// (statement_database.go), org_table of aliased tables
// (table_aliases.go), SHOW ERRORS and the diagnostics area
// (diagnostics.go), GET DIAGNOSTICS (get_diagnostics.go), server status flags (statusflags.go), COM_REFRESH
// and COM_CHANGE_USER (com_refresh.go, com_change_user.go), MySQL date
// functions go-mysql-server lacks (date_functions.go), exact DECIMAL SUM
// and AVG (decimal_aggregates.go), EXISTS in UPDATE
// and DELETE (exists_subquery.go), OUT parameters of prepared CALLs
// (prepared_out_params.go), relaxed date strings (relaxed_dates.go),
// numeric prefixes of strings in casts and comparisons
// (numeric_prefix_cast.go), the recording statement runner that collects a CALL's result sets
// (callresults.go), the wire handler, and below vitess the connection
// layers that do what vitess' handler API cannot: compression
// (compress.go), extra result sets and prepared DO (packetconn.go,
// packetconn_tls.go), and a server-side cursor per prepared statement
// (stmt_cursors.go).
//
// On a cluster follower with follower-writes = forward, the handler runs
// a session on the leader from its first statement that needs it
// (forward.go), and the leader takes such sessions through a login of
// its own (forward_auth.go); see internal/cluster/DESIGN.md.
//
// The handler also observes every connection and statement for the
// server's counters (metrics.go: metrics.SQL and the slow query log), and
// SHOW STATUS answers from those counters (statusvars.go); the hooks in
// handler.go stay one line each.
//
// CORRECTIONS.md is the registry of every correction of go-mysql-server
// and vitess here: the upstream behaviour it replaces, its layer and its
// test, so that each can be deleted when upstream fixes it.
package mysqlserver
