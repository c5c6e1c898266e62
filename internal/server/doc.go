// Package server owns the lifecycle of one guocedb process: it wires
// storage, the MySQL listener and the HTTP listener as grafana/dskit
// services under a dependency-ordered module manager, starts them in
// dependency order, and stops them in reverse (listeners before storage).
//
// It owns no SQL, storage or HTTP logic of its own: it calls
// storage.Open, mysqlserver.New and httpapi.NewHandler and decides only
// when. It owns the process's Prometheus registry (one per Server, no
// global) and fills httpapi.Status for /status and other front ends. It must not read flags, files or environment variables: it gets a
// validated config.Config and a logger from its caller.
package server
