// Package mysqlserver assembles the SQL engine (go-mysql-server over the
// backend provider), the users and grants store, and the MySQL wire
// listener. It owns nothing on disk itself: all state goes through the
// backend's catalog and so through storage's commit path.
//
// Where go-mysql-server v0.20.0 gets MySQL wrong in ways clients see, the
// fix lives here, never in a patched go-mysql-server. CORRECTIONS.md is
// the one registry of those corrections: the upstream behaviour each
// replaces, its layer and its test, so that each can be deleted when
// upstream fixes it. server.go assembles the engine and the listener; the
// other files, by the layer a statement meets them in:
//
// On a cluster follower with follower-writes = forward, the handler runs
// a session on the leader from its first statement that needs it
// (forward.go, forward_uservars.go, forward_results.go, forward_set.go), and the leader takes such sessions
// through a login of its own (forward_auth.go), over TLS when the server
// has TLS (ForwardTLS); see internal/cluster/DESIGN.md.
//
// Wire, below vitess on the packets: packetconn.go and packetconn_tls.go
// (guocedb's packet layer, TLS under it), compress.go, wire_commands.go
// (client commands rewritten before vitess reads them),
// malformed_packets.go, stmt_cursors.go, resultwire.go (extra result
// sets), prepare_errors.go, okinfo.go, statusflags.go, wire_charsets.go
// and results_charset.go (client character sets), tls.go, secure.go.
//
// Wire, in the handler around go-mysql-server's (handler.go): statements
// answered before go-mysql-server parses them (do.go, diagnostics.go,
// get_diagnostics.go, checksum_table.go, locktables.go for SHOW ENGINE
// INNODB STATUS, stored_functions.go), COM_CHANGE_USER and COM_REFRESH
// (com_change_user.go, com_refresh.go), KILL (kill.go), CALL's result
// sets and OUT parameters (call.go, callresults.go,
// prepared_out_params.go), the transaction replay after a write conflict
// (replay.go, retry.go), logins (accountlock.go, accounts.go), and the
// observers: metrics.go, audit.go, statusvars.go, status.go, panics.go.
// Each client statement is classified once (sqltext.Classify, kept in
// its probe; stmtclass.go) and these consult that, not the text.
//
// Parse, in the parser wrapper go-mysql-server calls (parser.go;
// sqllex.go is the token scanner the text rewrites share): locking
// clauses (locking.go), ALTER USER / SHOW CREATE USER
// (accountlock_sql.go), DO in procedure bodies (procdo.go),
// NO_BACKSLASH_ESCAPES (no_backslash_escapes.go), the database and table
// aliases of a statement (statement_database.go, table_aliases.go), EXISTS
// in UPDATE and DELETE (exists_subquery.go), MATCH ... IN BOOLEAN MODE
// (fulltext_boolean.go), qualified stored function calls
// (stored_function_call.go).
//
// Rewrite, analyzer rules and plan rewrites (rules.go registers them):
// createlike.go, decimal_aggregates.go, decimal_window.go, strict_mode.go,
// relaxed_dates.go, convert_using.go, unsigned.go, numeric_prefix_cast.go,
// timecast.go, pkprefix.go, viewflags.go, follower_writes.go. (The session
// layer is internal/backend's; sqlmode.go keeps its sql_mode parsed.)
//
// Execute, guocedb's own executors and functions: loaddata.go,
// loaddata_reader.go, explain.go, explain_access.go, date_functions.go,
// stored_function_call.go, stored_function_fast.go, fileaccess.go,
// stats.go, plancache.go.
//
// Metadata, what is sent back about results and the server: fields.go,
// errors.go (MySQL error codes), infoschema.go,
// stored_function_routines.go, perfschema.go, processlist.go,
// sessions.go, group_members.go, lockreport.go, schemacounts.go,
// tablestats.go.
package mysqlserver
