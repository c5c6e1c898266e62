// Package backend implements go-mysql-server's storage interfaces
// (DatabaseProvider, Database, Table, Index, Session, Transaction) over the
// storage package.
//
// It owns the key layout (keys.go, docs/key-encoding.md), the persisted
// catalog of databases, tables, views, triggers, procedures and events, and
// the translation of index lookups into key-range scans. It must not write
// to Badger directly: every write goes through a storage.Txn or
// storage.Store.DirectCommit, the one commit path.
package backend
