// Package enginetest runs go-mysql-server's enginetest suites against the
// guocedb backend: a real Badger directory per engine, real transactions.
// It holds only the Harness and the suite list; see harness.go.
package enginetest
