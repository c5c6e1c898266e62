package main

import "strings"

// splitStatements cuts a script into statements at semicolons outside
// quotes ('...', "...", `...`, with backslash escapes in the first two)
// and comments (-- , #, /* */), as the mysql client does without
// DELIMITER. Empty statements are dropped; a trailing statement without a
// semicolon is kept. It is a lexer of quotes and comments, not a parser.
func splitStatements(script string) []string {
	var out []string
	start := 0
	emit := func(end int) {
		if s := strings.TrimSpace(script[start:end]); s != "" {
			out = append(out, s)
		}
	}
	for i := 0; i < len(script); i++ {
		switch c := script[i]; {
		case c == ';':
			emit(i)
			start = i + 1
		case c == '\'' || c == '"' || c == '`':
			i = skipQuoted(script, i)
		case c == '#' || c == '-' && strings.HasPrefix(script[i:], "-- ") || c == '-' && strings.HasPrefix(script[i:], "--\n"):
			if nl := strings.IndexByte(script[i:], '\n'); nl >= 0 {
				i += nl
			} else {
				i = len(script)
			}
		case c == '/' && strings.HasPrefix(script[i:], "/*"):
			if end := strings.Index(script[i+2:], "*/"); end >= 0 {
				i += 2 + end + 1
			} else {
				i = len(script)
			}
		}
	}
	emit(len(script))
	return out
}

// skipQuoted returns the index of the quote closing the one at i (or the
// last index when unterminated). A doubled quote is part of the text.
func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && q != '`':
			j++
		case s[j] == q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j
		}
	}
	return len(s) - 1
}
