// Package backup writes and restores guocedb backups: a consistent snapshot
// of a data directory in one self-checking file (docs/backup-format.md).
//
// Write streams a snapshot of an open storage.Store, online or offline
// (OpenDir opens a stopped data directory read-only); incrementals carry
// only what changed since a previous backup. Verify checks a file's
// checksum; Restore verifies a chain of files and builds a new data
// directory from it, atomically. The backup of an encrypted store is
// encrypted (encrypt.go); VerifyKey and Restore authenticate it with the
// master key before anything is written.
//
// It knows the store only through storage's Snapshot and Loader: keys and
// values are opaque bytes here, never SQL. It must not write into an
// existing data directory, and it must not decide how backups travel (the
// command line and the admin API do).
package backup
