// Package redact removes secrets from SQL text before it is written or
// shown anywhere: the slow query log, the audit log, the error log and
// SHOW PROCESSLIST (and the admin API's sessions) all call Query, so a
// password has one set of rules to escape. It works on the text, not on
// go-mysql-server's parse: statements that fail to parse are masked too,
// and go-mysql-server's own redactor (which prints IDENTIFIED BY
// passwords) is never relied on.
//
// It must not grow beyond the secret rules: what a statement is belongs
// to the parser and the statement classifier.
package redact
