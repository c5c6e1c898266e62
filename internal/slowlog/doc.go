// Package slowlog owns guocedb's slow query log: one JSON line per slow
// statement, appended to a file, with the statement's text masked
// by internal/redact (the one masker of the slow log, the audit log and the
// process list)
// (sealed, with the db, on an encrypted server: Options.Sealer)
// and a bounded in-memory ring of the most recent entries (Recent) for
// status and admin endpoints.
//
// It decides nothing about what is slow beyond comparing a duration with
// its threshold, and it must not know SQL: the
// MySQL handler measures statements and hands finished entries to Record.
package slowlog
