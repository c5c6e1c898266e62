// Package cluster runs a guocedb node as a member of a raft cluster: the
// cluster state remembered in the data directory (who this node is, and
// the members), membership changes (add as a learner, promote, remove,
// transfer leadership; joining), the transport that carries raft's
// messages between nodes, along with what members tell each other about
// themselves (MySQL and admin address, version, liveness), and snapshot
// streams to members too far behind the leader's log, resumed after the
// last key the receiver holds when one breaks.
//
// It owns neither the log nor the store: internal/raftlog drives the
// raft state machine and writes the log, internal/storage applies it.
// This package only tells the log who its peers are and moves their
// messages. See DESIGN.md.
package cluster
