// Package compat measures guocedb against MySQL clients nobody here wrote:
// the mariadb command-line client and mariadb-dump, Python PyMySQL and
// mysqlclient (MySQLdb), Node mysql2, PHP mysqli and PDO, Ruby mysql2, a C
// program on the MariaDB C library (capi/, built with cc by the test), and
// prometheus-mysqld-exporter.
//
// Each client has one small script under this directory; the Go tests
// start a fresh guocedb binary per client on free loopback ports, run the
// script with the address and credentials in COMPAT_* environment
// variables, and check its exit status, what it printed and what it wrote.
// The package holds no non-test code besides this comment.
package compat
