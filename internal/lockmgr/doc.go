// Package lockmgr is the row lock table: shared and exclusive locks on
// opaque keys, held by transactions until they release them all at once
// (commit or rollback), with FIFO waits, a wait timeout, deadlock
// detection on the wait-for graph and a bound on its memory.
//
// It lives beside the timestamp oracle: one Manager per node that assigns
// commit timestamps (the raft leader once there is a cluster), so that
// every transaction that can commit sees the same locks. It knows nothing
// of SQL, tables or Badger; keys are whatever the caller names (the
// backend uses its encoded row and unique-index keys). It must not block
// while holding its mutex, and it never calls back into its caller.
package lockmgr
