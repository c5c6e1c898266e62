// Package acceptance holds guocedb's acceptance tests: the behaviour a
// MySQL user relies on, checked over the wire against a real in-process
// server on 127.0.0.1:0 with a real Badger directory, through
// go-sql-driver/mysql. Each file covers one area of the acceptance list
// (schema, column types, keys, ALTER TABLE, schema objects, transactions,
// users and grants, bad input); restart tests write, stop the server,
// reopen the same directory and check again.
//
// The package holds tests only. It must not reach into the backend or
// storage packages: everything goes through SQL, as a client would, so a
// failure here is a user-visible bug. Assertions state MySQL's behaviour
// and are never loosened to fit the implementation.
package acceptance
