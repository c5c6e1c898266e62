// Package adminapi serves guocedb's admin API: the AdminService of
// proto/guocedb/admin/v1/admin.proto as gRPC, gRPC-Web and the Connect
// protocol (JSON over HTTP POST) from one http.Handler built with
// connect-go.
//
// It owns the RPC surface, authentication (HTTP Basic credentials of a
// guocedb user) and authorisation (which MySQL privilege each procedure
// needs). It owns no data: every answer comes from a small interface
// declared in sources.go and implemented where the data lives (sessions
// and accounts in internal/mysqlserver, status in internal/server, backup,
// check and the slow log in their own packages). It must not bind ports or
// read configuration: internal/server mounts the handler on its listener.
//
// The generated code lives in gen/adminv1; regenerate it with `make
// generate` (protoc plus plugins built from the versions go.mod pins).
package adminapi
