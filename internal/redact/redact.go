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
// secrets are the patterns of a password literal, each with the word
// (lower case) without which the statement cannot hold it: a statement
// without the word is not run through the pattern at all (the patterns
// are linear but slow, and a bulk INSERT of megabytes goes through here
// for the process list and again for the slow log).
var secrets = []struct {
	word string
	re   *regexp.Regexp
}{
	{"identified", regexp.MustCompile(`(?is)(\bIDENTIFIED\s+(?:WITH\s+(?:'[^']*'|"[^"]*"|` + "`[^`]*`" + `|\w+)\s+)?(?:BY|AS)\s+)` + literal)},
	{"password", regexp.MustCompile(`(?is)(\bSET\s+PASSWORD\b[^=]*=\s*)` + literal)},
	{"password", regexp.MustCompile(`(?is)(\bPASSWORD\s*\(\s*)` + literal)},
	// A blank or = must separate the word from the literal: `'password'`
	// as a value ends a literal rather than starts one. Text that only
	// looks like an option is masked too: masking too much is safe.
	{"password", regexp.MustCompile(`(?is)(\bPASSWORD(?:\s*=\s*|\s+))` + literal)},
	{"replace", regexp.MustCompile(`(?is)(\bREPLACE\s+)` + literal)},
	{"_password", regexp.MustCompile(`(?is)(\b(?:SOURCE|MASTER)_PASSWORD\s*=\s*)` + literal)},
}

// Query returns query with every password literal replaced by '***'. It
// keeps the rest of the text as it was, so the logged statement still
// says what ran. Safe for concurrent use.
func Query(query string) string {
	for _, s := range secrets {
		if !hasWordBeforeLiteral(query, s.word) {
			continue
		}
		query = s.re.ReplaceAllString(query, "${1}"+masked)
	}
	return query
}

// hasWordBeforeLiteral reports whether query has word (lower-case ASCII,
// in any case) followed, after blanks and anything but a quote, by a
// quote within a short distance: a cheap necessary condition of every
// pattern above. REPLACE INTO t VALUES ('...') of a bulk load fails it at
// the word INTO.
func hasWordBeforeLiteral(query, word string) bool {
	for i := 0; i+len(word) <= len(query); i++ {
		c := query[i]
		if c != word[0] && c != word[0]-'a'+'A' {
			continue
		}
		if !strings.EqualFold(query[i:i+len(word)], word) {
			continue
		}
		// The literal follows within a few words: BY, WITH plugin BY,
		// FOR user = ... (SET PASSWORD names an account first).
		rest := query[i+len(word):]
		if j := strings.IndexAny(rest, `'"`); j >= 0 && (word != "replace" || strings.TrimLeft(rest[:j], " \t\r\n") == "") {
			return true
		}
	}
	return false
}
