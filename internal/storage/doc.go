// Package storage owns the Badger directory: opening and closing it, the
// on-disk format version, timestamps, transactions and the single commit
// path through which every write reaches disk.
//
// It knows nothing of SQL. Keys and values are opaque bytes; the backend
// package decides their layout (see docs/key-encoding.md).
//
// Transactions read a snapshot at their read timestamp and buffer their
// writes in memory. Commit checks write-write conflicts against transactions
// that committed after the read timestamp, assigns a commit timestamp and
// hands the write set to a Committer, which makes it one entry of the
// commit log (internal/raftlog: a raft group, of one voter on a single
// node; concurrent commits share one fsync) and applies it to Badger once
// durable. Badger is the applied state of the log; a cluster adds voters
// under the same seam without any change above this package. See
// DESIGN.md.
//
// With Options.EncryptionKey the directory is encrypted at rest
// (encryption.go: Badger's own encryption and sealed commit log entries);
// the key is checked against the directory's marker before any file is
// touched. See docs/storage.md, "Encryption at rest".
package storage
