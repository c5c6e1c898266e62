package redact

import (
	"regexp"
	"strings"
)

// masked replaces a secret string literal in a logged statement.
const masked = "'***'"

// literal matches one quoted SQL string (with backslash escapes and doubled
// quotes), or an unterminated one up to the end of the text, so that a
// statement cut short still never shows the rest of a secret.
const literal = `(?:'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|['"].*$)`

// secretBefore lists what introduces a secret literal: the password of
// IDENTIFIED BY / IDENTIFIED WITH plugin BY|AS, SET PASSWORD ... =,
// PASSWORD('...'), ALTER USER's REPLACE 'current' (a REPLACE statement or
// the REPLACE() function never has a literal right after the word), and
// the replication source password, and PASSWORD 'x' / PASSWORD = 'x'
// options (START REPLICA ... PASSWORD = '...', CREATE SERVER ... OPTIONS
// (PASSWORD '...')). Each pattern's first group is kept; the literal after
// it is masked.
var secretBefore = []*regexp.Regexp{
	regexp.MustCompile(`(?is)(\bIDENTIFIED\s+(?:WITH\s+(?:'[^']*'|"[^"]*"|` + "`[^`]*`" + `|\w+)\s+)?(?:BY|AS)\s+)` + literal),
	regexp.MustCompile(`(?is)(\bSET\s+PASSWORD\b[^=]*=\s*)` + literal),
	regexp.MustCompile(`(?is)(\bPASSWORD\s*\(\s*)` + literal),
	// A blank or = must separate the word from the literal: `'password'`
	// as a value ends a literal rather than starts one. Text that only
	// looks like an option is masked too: masking too much is safe.
	regexp.MustCompile(`(?is)(\bPASSWORD(?:\s*=\s*|\s+))` + literal),
	regexp.MustCompile(`(?is)(\bREPLACE\s+)` + literal),
	regexp.MustCompile(`(?is)(\b(?:SOURCE|MASTER)_PASSWORD\s*=\s*)` + literal),
}

// secretHints are words without which a statement holds none of the
// secrets above: the common statement is returned without running any
// regular expression.
var secretHints = []string{"identified", "password", "replace"}

// Query returns query with every password literal replaced by '***'. It
// keeps the rest of the text as it was, so the logged statement still
// says what ran. Safe for concurrent use.
func Query(query string) string {
	lower := strings.ToLower(query)
	hinted := false
	for _, h := range secretHints {
		if strings.Contains(lower, h) {
			hinted = true
			break
		}
	}
	if !hinted {
		return query
	}
	for _, re := range secretBefore {
		query = re.ReplaceAllString(query, "${1}"+masked)
	}
	return query
}
