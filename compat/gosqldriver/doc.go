// Package gosqldriver runs go-sql-driver/mysql's own test suite, from the
// module version guocedb's go.mod pins, against a real guocedb server: an
// independent measure of wire compatibility written by nobody here.
//
// The suite's test binary is built once from a writable copy of the module
// (everything comes from the module cache and proxy), and each top-level
// test runs in its own process against one fresh server, so that a panic
// or a hang costs one test and not the rest. The same runner measures a
// throw-away MariaDB for comparison.
package gosqldriver
