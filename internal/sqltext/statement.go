package sqltext

import "strings"

// MaxWords is how many leading words Classify keeps: enough for the
// longest prefix a classification needs (SHOW GLOBAL TABLE STATUS,
// CREATE DEFINER=`u`@`h` PROCEDURE).
const MaxWords = 5

// Statement is what one pass over a statement's leading words tells. The
// MySQL handler classifies each client statement once, when it arrives,
// and every feature that has to recognise a statement before
// go-mysql-server parses it (metrics and digests, KILL, DO, SHOW ERRORS,
// GET DIAGNOSTICS, CHECKSUM TABLE, stored function DDL, the transaction
// replay, CALL result sets) reads this instead of scanning the text.
//
// Two readings come from the same pass, because callers were written
// against both and a statement must get the same answer as before:
// Words follows the metrics rules (white space including form feeds,
// "(" and comments skipped, version comments entered, the characters of
// a DEFINER = `u`@`h` value skipped), First is FirstWord's answer (the
// first word only when nothing but blanks, "(" and comments precede it,
// and it starts with a letter).
type Statement struct {
	words [MaxWords]string
	n     int
	first string
}

// Classify reads the leading words of q in one pass, allocating nothing.
func Classify(q string) Statement {
	var s Statement
	plain := true // only what FirstWord skips so far
	for i := 0; i < len(q) && s.n < MaxWords; {
		switch c := q[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(':
			i++
		case c == '\f':
			plain = false
			i++
		case c == '#' || c == '-' && strings.HasPrefix(q[i:], "-- "):
			end := strings.IndexByte(q[i:], '\n')
			if end < 0 {
				return s
			}
			i += end + 1
		case c == '/' && strings.HasPrefix(q[i:], "/*!"):
			// A version comment's content runs: skip the marker and the
			// version digits.
			i += 3
			for i < len(q) && q[i] >= '0' && q[i] <= '9' {
				i++
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return s
			}
			i += end + 4
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			if s.n == 0 && plain && isLetter(c) {
				s.first = q[i:j]
			}
			s.words[s.n] = q[i:j]
			s.n++
			i = j
		case c == '=' || c == '@' || c == '`' || c == '\'' || c == '"' || c == '.' || c == '%':
			// DEFINER = `u`@`h` and the like: skip the value's characters.
			plain = false
			i++
		default:
			return s
		}
	}
	return s
}

// Words returns the leading words, as written.
func (s *Statement) Words() []string { return s.words[:s.n] }

// Word returns leading word i, or "".
func (s *Statement) Word(i int) string {
	if i < s.n {
		return s.words[i]
	}
	return ""
}

// First returns the statement's first word as FirstWord reads it.
func (s *Statement) First() string { return s.first }

// Is reports whether First is one of words, compared without regard to
// case (StartsWith of the statement).
func (s *Statement) Is(words ...string) bool {
	for _, w := range words {
		if strings.EqualFold(s.first, w) {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$'
}
