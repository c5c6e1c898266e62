// Package raftlog is guocedb's commit log: a raft group (go.etcd.io/raft/v3,
// driven through RawNode) whose log is the write-ahead log of the store.
// On a single node the group has one voter, this node; a cluster member
// (Options.Cluster) runs the same code with more voters and hands raft's
// messages to a transport (internal/cluster) after each Ready's write.
//
// It owns the log's files (segments of length- and CRC-32C-framed records,
// and a checkpoint file), the raft state machine's Ready loop, group commit
// (every proposal that arrives while a write is in flight shares the next
// write and fsync), and the rule that an entry is applied only once it is
// durable in the local log.
//
// It knows nothing of keys, timestamps or SQL: entries are opaque bytes,
// and the application (internal/storage) applies them through
// Options.Apply, decides when its state is durable and then calls
// Checkpoint. See DESIGN.md.
package raftlog
