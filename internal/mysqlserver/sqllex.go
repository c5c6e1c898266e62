package mysqlserver

import "strings"

// The token scanner the text rewrites and statement readers share: the
// parse-layer rewrites of text vitess cannot parse (parser.go,
// locking.go, accountlock_sql.go), CHECKSUM TABLE and the stored function
// statements. It knows where words, strings, quoted names and comments
// are, nothing more; statement classification is sqltext.Classify's.

// sqlToken is a word, a quoted string or identifier, or one punctuation
// character of a query, at q[start:end].
type sqlToken struct {
	text       string
	start, end int
	quoted     bool
}

func (t sqlToken) is(word string) bool { return !t.quoted && strings.EqualFold(t.text, word) }

// name reports whether t can be a table name.
func (t sqlToken) name() bool {
	if t.quoted {
		return t.text[0] == '`'
	}
	c := t.text[0]
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// lexSQL splits q into tokens, skipping white space and comments. It only
// needs to be right about where words, strings and comments are.
func lexSQL(q string) []sqlToken {
	var toks []sqlToken
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '#' || c == '-' && strings.HasPrefix(q[i:], "-- "):
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				i = len(q)
			} else {
				i += end + 4
			}
		case c == '\'' || c == '"' || c == '`':
			start := i
			i++
			for i < len(q) {
				if q[i] == '\\' && c != '`' {
					i += 2
					continue
				}
				if q[i] == c {
					if i+1 < len(q) && q[i+1] == c { // doubled quote
						i += 2
						continue
					}
					i++
					break
				}
				i++
			}
			i = min(i, len(q))
			toks = append(toks, sqlToken{text: q[start:i], start: start, end: i, quoted: true})
		case isWordByte(c):
			start := i
			for i < len(q) && isWordByte(q[i]) {
				i++
			}
			toks = append(toks, sqlToken{text: q[start:i], start: start, end: i})
		default:
			toks = append(toks, sqlToken{text: q[i : i+1], start: i, end: i + 1})
			i++
		}
	}
	return toks
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// containsFold reports whether s contains sub, lower-case ASCII,
// ignoring case, without allocating. It runs on every statement's text
// (several times), so it compares only where the first byte matches.
func containsFold(s, sub string) bool {
	if sub == "" {
		return true
	}
	lo, up := sub[0], sub[0]
	if lo >= 'a' && lo <= 'z' {
		up = lo - 'a' + 'A'
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if c := s[i]; (c == lo || c == up) && strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
