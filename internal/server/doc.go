// Package server owns the lifecycle of one guocedb process: it wires
// storage, the MySQL listener, the HTTP listener and the admin API
// listener as grafana/dskit services under a dependency-ordered module
// manager, starts them in dependency order, and stops them in reverse
// (admin before mysql, listeners before storage).
//
// It owns no SQL, storage or HTTP logic of its own: it calls
// storage.Open, mysqlserver.New, httpapi.NewHandler and
// adminapi.NewHandler and decides only when, plus the small adapters that
// hand the admin API and the web console their data sources (admin.go,
// console.go), and the state that outlives a listener: the statement
// digests, the console's sample ring and the backups served. It owns the
// process's Prometheus registry (one per Server, no global) and fills httpapi.Status
// for /status and the admin API's Status. It must not read flags, files or
// environment variables: it gets a validated config.Config and a logger
// from its caller.
//
// On a cluster member (raft-addr set; cluster.go) the storage module also
// prepares the cluster state and starts the raft transport before the
// store opens, and closes it after the store; the server follows the
// member's role for @@read_only, /readyz, /status, the raft metrics and
// performance_schema.replication_group_members.
package server
