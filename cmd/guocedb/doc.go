// Command guocedb is a MySQL-compatible database server over an embedded
// Badger directory.
//
// Usage:
//
//	guocedb [serve] [flags]     run the server (the default)
//	guocedb check-config [flags] print the effective configuration
//	guocedb version             print version and commit
//	guocedb backup ...          write a backup file (internal/backup)
//	guocedb restore ...         build a data directory from backup files
//	guocedb check ...           verify catalog, rows and indexes agree
//	guocedb status              server status (admin API)
//	guocedb sessions            list client sessions (admin API)
//	guocedb kill [--query] ID   close a session or stop its statement (admin API)
//
// main is thin: it parses flags, builds the logger and hands over to
// internal/server. Exit codes: 0 success, 1 error, 2 usage error.
package main
