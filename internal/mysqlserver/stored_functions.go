package mysqlserver

import (
	"errors"
	"regexp"
)

// Stored functions (CREATE FUNCTION ... RETURNS ... BEGIN ... END) are
// not supported: vitess' grammar in go-mysql-server v0.20.0 has no CREATE
// FUNCTION at all (the ast has no node for it, so no parser rewrite can
// hand go-mysql-server one) and go-mysql-server has no stored functions to
// run (its function registry holds built-ins only). Rather than the
// syntax error at "FUNCTION" the parser reports, which reads like a typo,
// the client gets MySQL's 1235 ER_NOT_SUPPORTED_YET naming the feature
// (errors.go maps the message; stored procedures work and are the
// alternative).

// createFunction matches the start of CREATE [DEFINER = ...] [AGGREGATE]
// FUNCTION after comments. It runs only for a statement that failed to
// parse.
var createFunction = regexp.MustCompile(`(?is)^\s*(/\*.*?\*/\s*|--[^\n]*\n\s*|#[^\n]*\n\s*)*CREATE\s+(DEFINER\s*=\s*\S+\s+)?(AGGREGATE\s+)?FUNCTION\b`)

// errStoredFunctions is the error for CREATE FUNCTION: a message of the
// form errors.go maps to 1235, as go-mysql-server flattens errors to their
// message before they reach the wire.
var errStoredFunctions = errors.New(`"CREATE FUNCTION" is not supported yet`)

// unsupportedStatement returns the error to report for query, which failed
// to parse with err: 1235 for CREATE FUNCTION, err otherwise.
func unsupportedStatement(query string, err error) error {
	if err != nil && createFunction.MatchString(query) {
		return errStoredFunctions
	}
	return err
}
