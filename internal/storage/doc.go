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
// hands the write set to a Committer. On a single node the Committer writes
// the batch to Badger (concurrent commits share one fsync); a replicated
// Committer can later propose the same batch to raft without any change
// above this package.
package storage
