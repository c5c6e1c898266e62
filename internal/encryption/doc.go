// Package encryption owns guocedb's encryption at rest: the master key
// file (--encryption-key-file), the marker that says a data directory is
// encrypted and with which key (never the key itself), the subkeys derived
// from the master key for each use (Badger, the commit log, backups), and
// the two AES-256-GCM constructions built on them: sealed records for the
// commit log and chunked streams for backup files.
//
// It must not know about Badger, the commit log's framing or the backup
// format: those packages declare what they need (a sealer, a stream) and
// this package supplies it.
package encryption
