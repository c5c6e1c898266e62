// Package mysqlserver assembles the SQL engine (go-mysql-server over the
// backend provider), the users and grants store, and the MySQL wire
// listener. It owns nothing on disk itself: all state goes through the
// backend's catalog and so through storage's commit path.
package mysqlserver
