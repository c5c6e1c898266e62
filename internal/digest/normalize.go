package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"
)

// MaxTextBytes bounds a digest text, as MySQL's max_digest_length (1024
// by default) does: statements that differ only after that many bytes of
// normalized text share a digest.
const MaxTextBytes = 1024

// operators are the multi-character operators vitess' tokenizer returns
// as a token type without text.
var operators = map[int]string{
	sqlparser.LE:                      "<=",
	sqlparser.GE:                      ">=",
	sqlparser.NE:                      "!=",
	sqlparser.NULL_SAFE_EQUAL:         "<=>",
	sqlparser.SHIFT_LEFT:              "<<",
	sqlparser.SHIFT_RIGHT:             ">>",
	sqlparser.JSON_EXTRACT_OP:         "->",
	sqlparser.JSON_UNQUOTE_EXTRACT_OP: "->>",
	sqlparser.AND:                     "AND",
	sqlparser.OR:                      "OR",
}

// listKeywords are keywords that a parenthesized list of values follows
// (written with or without a space), which are not calls.
var listKeywords = map[string]bool{"IN": true, "VALUES": true, "VALUE": true}

// literal reports whether a token type is a value the digest hides.
func literal(typ int) bool {
	switch typ {
	case sqlparser.STRING, sqlparser.INTEGRAL, sqlparser.FLOAT, sqlparser.DECIMAL,
		sqlparser.HEX, sqlparser.HEXNUM, sqlparser.BIT_LITERAL, sqlparser.VALUE_ARG:
		return true
	}
	return false
}

// Normalize returns the digest text of one statement: keywords and
// function names in upper case, other identifiers in backquotes, every
// literal (strings, numbers, hex and bit values, placeholders) as ?, a
// parenthesized list of literals as (...) and a run of such lists (a
// multi-row VALUES) as one, comments dropped, tokens separated by single
// spaces. Text the tokenizer cannot read (an unterminated string) ends
// the digest with "...", so its values stay hidden too.
func Normalize(query string) string {
	tkn := sqlparser.NewStringTokenizer(query)
	var toks []string
	for {
		typ, val := tkn.Scan()
		if typ == 0 {
			break
		}
		if typ == sqlparser.LEX_ERROR {
			toks = append(toks, "...")
			break
		}
		if typ == sqlparser.COMMENT {
			continue
		}
		var tok string
		switch {
		case literal(typ):
			tok = "?"
			// A sign directly before a number after an operator, a comma or
			// an opening parenthesis belongs to the literal: x = -1 and
			// x = 1 share a digest.
			if n := len(toks); n > 0 && (toks[n-1] == "-" || toks[n-1] == "+") && unary(toks[:n-1]) {
				toks = toks[:n-1]
			}
		case typ == sqlparser.ID:
			tok = identifier(string(val), query, tkn)
		case typ < 256:
			tok = string(rune(typ))
		case operators[typ] != "":
			tok = operators[typ]
		case sqlparser.KeywordString(typ) != "":
			tok = strings.ToUpper(sqlparser.KeywordString(typ))
			// Functions the grammar knows as keywords: COUNT(, CAST(, ...
			if i := tkn.Position - 1; i >= 0 && i < len(query) && query[i] == '(' && !listKeywords[tok] {
				tok = callMark + tok
			}
		case len(val) > 0:
			tok = string(val)
		default:
			tok = "?"
		}
		toks = append(toks, tok)
		toks = foldLists(toks)
	}
	for len(toks) > 0 && toks[len(toks)-1] == ";" {
		toks = toks[:len(toks)-1]
	}
	return join(toks)
}

// unary reports whether a sign after the tokens before is a unary one.
func unary(before []string) bool {
	if len(before) == 0 {
		return true
	}
	switch p := before[len(before)-1]; {
	case p == "?", p == ")", strings.HasPrefix(p, "`"):
		return false
	case p == "(", p == ",":
		return true
	default:
		// Operators and keywords (=, <, AND, SELECT, VALUES, ...).
		return !isWord(p) || p == strings.ToUpper(p)
	}
}

func isWord(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// identifier prints an identifier token: variables (@x, @@x) as written,
// a name directly followed by "(" (a function call: SLEEP(...),
// COUNT(...), as MySQL reads it without IGNORE_SPACE) in upper case,
// anything else in backquotes. The tokenizer has read one byte past the
// token (Position is the offset after it), which tells what follows.
func identifier(name, query string, tkn *sqlparser.Tokenizer) string {
	if strings.HasPrefix(name, "@") {
		return name
	}
	if i := tkn.Position - 1; i >= 0 && i < len(query) && query[i] == '(' {
		return callMark + strings.ToUpper(name)
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// callMark starts the token of a function name until join prints it: a
// call's arguments are not a list to fold, and "(" follows it without a
// space.
const callMark = "\x00"

// foldLists folds the list of literals that a closing parenthesis just
// ended, "( ? , ? , ? )", into "(...)", and a list after another one
// with a comma between (the rows of a multi-row VALUES) into the first,
// so IN lists and inserts of any length share a digest.
func foldLists(toks []string) []string {
	n := len(toks)
	if n == 0 || toks[n-1] != ")" {
		return toks
	}
	i := n - 2
	for i >= 0 && (toks[i] == "?" || toks[i] == ",") {
		i--
	}
	if i < 0 || toks[i] != "(" || i == n-2 || i > 0 && strings.HasPrefix(toks[i-1], callMark) {
		return toks
	}
	toks = append(toks[:i], "(...)")
	if m := len(toks); m >= 3 && toks[m-2] == "," && toks[m-3] == "(...)" {
		toks = toks[:m-2]
	}
	return toks
}

// join writes the tokens with single spaces, none after "(", around "."
// (db.table) or before ")" and ",", and cuts the text at MaxTextBytes.
func join(toks []string) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 && t != ")" && t != "," && t != "." && toks[i-1] != "(" && toks[i-1] != "." &&
			!(t == "(" && strings.HasPrefix(toks[i-1], callMark)) {
			b.WriteByte(' ')
		}
		b.WriteString(strings.TrimPrefix(t, callMark))
		if b.Len() > MaxTextBytes {
			return truncate(b.String())
		}
	}
	return b.String()
}

// truncate cuts s to MaxTextBytes on a UTF-8 boundary and marks the cut.
func truncate(s string) string {
	cut := MaxTextBytes
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}

// Sum returns the digest of a digest text: SHA-256 in 64 lower-case hex
// digits, as MySQL 8 prints DIGEST.
func Sum(text string) string {
	h := sha256.Sum256([]byte(text))
	return hex.EncodeToString(h[:])
}
