// Package sqltext reads the leading keywords of SQL statement text
// without parsing it, for the places that must classify a statement
// cheaply before (or apart from) go-mysql-server's parser: per statement,
// so it allocates nothing and looks no further than the first few words.
// Classify is the one pass the MySQL handler makes over each client
// statement; FirstWord and StartsWith serve callers with text alone (the
// CLI, the row count estimate).
//
// It must not grow into a parser: anything that needs more than the
// leading words belongs to the parser's AST.
package sqltext

import "strings"

// FirstWord returns the first word of the statement q as written: the
// identifier-like run (an ASCII letter, then letters, digits, _ or $)
// after blanks, opening parentheses and comments. Plain comments (/* */, #, -- ) are skipped; an executable
// comment (/*! or /*!NNNNN, as mysqldump writes) is entered, since MySQL
// runs its content as part of the statement. It returns "" when there is
// no word (only comments, an unterminated comment, or no letter first).
func FirstWord(q string) string {
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		switch {
		case strings.HasPrefix(q, "/*!"):
			q = strings.TrimLeft(q[3:], "0123456789")
		case strings.HasPrefix(q, "/*"):
			end := strings.Index(q[2:], "*/")
			if end < 0 {
				return ""
			}
			q = q[2+end+2:]
		case strings.HasPrefix(q, "#"), strings.HasPrefix(q, "-- "):
			end := strings.IndexByte(q, '\n')
			if end < 0 {
				return ""
			}
			q = q[end+1:]
		default:
			if q == "" || !isLetter(q[0]) {
				return ""
			}
			end := 1
			for end < len(q) && (isLetter(q[end]) || q[end] >= '0' && q[end] <= '9' || q[end] == '_' || q[end] == '$') {
				end++
			}
			return q[:end]
		}
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// StartsWith reports whether the first word of q is one of words, compared
// without regard to case.
func StartsWith(q string, words ...string) bool {
	w := FirstWord(q)
	for _, x := range words {
		if strings.EqualFold(w, x) {
			return true
		}
	}
	return false
}
