package mysqlserver

import (
	"context"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// go-mysql-server v0.20.0's grammar has no DO statement, so a procedure
// body with `DO expr` does not parse. The parser (procDoParser) rewrites
// a DO statement inside a BEGIN ... END block into the SELECT of its
// expressions marked with doComment; the procedure interpreter's runner
// recognises the mark and sends no result set for it (callresults.go).
// The stored procedure text is the rewritten one: go-mysql-server keeps
// the text its parser returns, which is also what SHOW CREATE PROCEDURE
// shows.

// rewriteProcedureDo rewrites the DO statements inside BEGIN ... END
// blocks of q. A DO outside any block (a statement of its own, see do.go)
// is left alone, as is everything in strings and comments. Queries without
// both words come back unchanged without being lexed.
func rewriteProcedureDo(q string) string {
	if !containsFold(q, "begin") || !containsFold(q, "do") {
		return q
	}
	toks := lexSQL(q)
	var b strings.Builder
	// depth counts open BEGIN ... END blocks, cases open CASE ... END
	// (both the statement, closed by END CASE, and the expression).
	last, depth, cases := 0, 0, 0
	for i, t := range toks {
		switch {
		case t.is("BEGIN"):
			// BEGIN [WORK] as a statement of its own starts a transaction.
			if i+1 < len(toks) && toks[i+1].text != ";" && !toks[i+1].is("WORK") {
				depth++
			}
		case t.is("CASE") && (i == 0 || !toks[i-1].is("END")):
			cases++
		case t.is("END"):
			next := ""
			if i+1 < len(toks) && !toks[i+1].quoted {
				next = strings.ToUpper(toks[i+1].text)
			}
			switch {
			case next == "IF" || next == "WHILE" || next == "LOOP" || next == "REPEAT":
				// They close statements, not blocks.
			case next == "CASE" || cases > 0:
				cases = max(cases-1, 0)
			case depth > 0:
				depth--
			}
		case t.is("DO") && depth > 0 && i > 0 && startsStatement(toks[i-1]):
			b.WriteString(q[last:t.start])
			b.WriteString(strings.TrimSuffix(doMarker, " "))
			last = t.end
		}
	}
	if last == 0 {
		return q
	}
	b.WriteString(q[last:])
	return b.String()
}

// startsStatement reports whether a statement can start after t inside a
// block: WHILE ... DO's own DO follows an expression, a DO statement
// follows one of these.
func startsStatement(t sqlToken) bool {
	if t.text == ";" {
		return true
	}
	for _, w := range []string{"BEGIN", "THEN", "ELSE", "REPEAT", "LOOP", "DO"} {
		if t.is(w) {
			return true
		}
	}
	return false
}

// procDoParser is a parser behind rewriteProcedureDo. lockingParser wraps
// it, so every parse, from the wire and from the analyzer, applies both
// rewrites.
type procDoParser struct{ sql.Parser }

var _ sql.Parser = procDoParser{}

func (p procDoParser) ParseSimple(query string) (ast.Statement, error) {
	return p.Parser.ParseSimple(rewriteProcedureDo(query))
}

func (p procDoParser) Parse(ctx *sql.Context, query string, multi bool) (ast.Statement, string, string, error) {
	return p.ParseWithOptions(ctx, query, ';', multi, loadSQLMode(ctx).ParserOptions())
}

func (p procDoParser) ParseWithOptions(ctx context.Context, query string, delimiter rune, multi bool, options ast.ParserOptions) (ast.Statement, string, string, error) {
	return p.Parser.ParseWithOptions(ctx, rewriteProcedureDo(query), delimiter, multi, options)
}

func (p procDoParser) ParseOneWithOptions(ctx context.Context, query string, options ast.ParserOptions) (ast.Statement, int, error) {
	return p.Parser.ParseOneWithOptions(ctx, rewriteProcedureDo(query), options)
}
