// Package metrics owns guocedb's Prometheus metrics: the registry (with Go
// runtime and process collectors), the SQL counters of one server (SQL:
// connections, statements by command, latency, errors, rows, bytes, slow
// statements) and the storage collector (Badger sizes, levels,
// compactions, caches, transaction outcomes) and the server collector
// (build info, readiness, disk space, online backups) that alerts need.
//
// SQL is the one source of truth for the server's counters: /metrics
// exposes it and SHOW GLOBAL STATUS reads the same values (Snapshot), so
// the two never disagree. Its per-statement methods use atomics only.
//
// It must not know the wire protocol, sessions or storage internals: the
// MySQL handler reports events to SQL, and the storage collector reads a
// storage.Stats through a function the caller supplies. It registers on
// the prometheus.Registerer it is given; there is no global registry.
package metrics
