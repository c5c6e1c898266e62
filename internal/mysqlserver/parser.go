package mysqlserver

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// lockingParser is go-mysql-server's MySQL parser behind a rewrite of the
// MySQL 8 locking clauses its grammar lacks: `FOR SHARE`, `OF tbl` and
// `NOWAIT` (GORM's clause.Locking and MySQL 8 applications write them). It
// knows only `FOR UPDATE [SKIP LOCKED]` and `LOCK IN SHARE MODE`.
//
// The rewrite loses NOWAIT and a share lock's SKIP LOCKED; the parse
// passes them on to the row locks from the original text (locking.go).
// The OF table list is ignored.
//
// Offsets and remainders the parser returns refer to the rewritten text;
// go-mysql-server only passes the remainder back to the parser.
type lockingParser struct {
	sql.Parser
	// aliases receives each parsed statement's table aliases
	// (table_aliases.go); nil drops them.
	aliases *aliasBook
}

var _ sql.Parser = lockingParser{}

func (p lockingParser) ParseSimple(query string) (ast.Statement, error) {
	var stmt ast.Statement
	err := parseGuarded(query, func(q string) (err error) {
		stmt, err = p.Parser.ParseSimple(rewriteStatement(q))
		return err
	})
	return withQualifiedFunctions(query, withLoadDataGrants(withBooleanMatch(query, withTraditionalExplain(withMarkedExists(stmt))))), err
}

func (p lockingParser) Parse(ctx *sql.Context, query string, multi bool) (ast.Statement, string, string, error) {
	return p.ParseWithOptions(ctx, query, ';', multi, loadSQLMode(ctx).ParserOptions())
}

func (p lockingParser) ParseWithOptions(ctx context.Context, query string, delimiter rune, multi bool, options ast.ParserOptions) (ast.Statement, string, string, error) {
	nbe := noBackslashEscapes(ctx)
	if nbe {
		query = literalBackslashes(query)
	}
	var (
		stmt    ast.Statement
		s, rest string
	)
	err := parseGuarded(query, func(q string) (err error) {
		stmt, s, rest, err = p.Parser.ParseWithOptions(ctx, rewriteStatement(q), delimiter, multi, options)
		return err
	})
	if nbe {
		rest = unliteralBackslashes(rest)
	}
	noteStatementDatabase(ctx, stmt, p.aliases)
	noteStatementLock(ctx, query, stmt)
	return withQualifiedFunctions(query, withLoadDataGrants(withBooleanMatch(query, withTraditionalExplain(withMarkedExists(stmt))))), s, rest, unsupportedStatement(query, err)
}

func (p lockingParser) ParseOneWithOptions(ctx context.Context, query string, options ast.ParserOptions) (ast.Statement, int, error) {
	if noBackslashEscapes(ctx) {
		query = literalBackslashes(query)
	}
	var (
		stmt ast.Statement
		n    int
	)
	err := parseGuarded(query, func(q string) (err error) {
		stmt, n, err = p.Parser.ParseOneWithOptions(ctx, rewriteStatement(q), options)
		return err
	})
	noteStatementDatabase(ctx, stmt, p.aliases)
	noteStatementLock(ctx, query, stmt)
	return withQualifiedFunctions(query, withLoadDataGrants(withBooleanMatch(query, withTraditionalExplain(withMarkedExists(stmt))))), n, err
}

// parseGuarded runs parse on query and keeps a panic inside vitess's
// parser from reaching the connection handler, which would drop the
// client. vitess v0.20.0's parser panics on a select expression glued to
// SELECT that starts with a quote (SELECT and an empty string without a space: it cuts the expression's
// text one byte short and slices the rest as a quoted string; found by
// FuzzParse); MySQL reads it with the space, so the statement is parsed
// once more with a space after such SELECTs. Any other panic is the
// syntax error (1064) the statement deserves.
func parseGuarded(query string, parse func(string) error) error {
	panicked, err := tryParse(query, parse)
	if !panicked {
		return err
	}
	if spaced := unglueSelect(query); spaced != query {
		if panicked, err = tryParse(spaced, parse); !panicked {
			return err
		}
	}
	return fmt.Errorf("syntax error at position %d near '%s'", len(query), lastWord(query))
}

// tryParse runs parse, reporting a panic instead of passing it on.
func tryParse(query string, parse func(string) error) (panicked bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			panicked, err = true, nil
		}
	}()
	return false, parse(query)
}

// gluedSelect is SELECT directly followed by a quote.
var gluedSelect = regexp.MustCompile(`(?i)\b(select)(['"])`)

// unglueSelect puts a space between SELECT and a quote that follows it
// directly (see parseGuarded).
func unglueSelect(query string) string { return gluedSelect.ReplaceAllString(query, "${1} ${2}") }

// guardPreparedText is parseGuarded for COM_STMT_PREPARE, which vitess
// parses itself before any handler sees it: the text of a statement that
// panics its parser becomes the one parseGuarded would have parsed, or,
// failing that, text that fails with a syntax error (a trailing NUL byte)
// instead of dropping the connection. Only text with a SELECT glued to a
// quote, the one trigger known, is test-parsed.
func guardPreparedText(text string) string {
	if !gluedSelect.MatchString(text) {
		return text
	}
	vitessParse := func(q string) error {
		_, err := ast.ParseWithOptions(context.Background(), q, ast.ParserOptions{})
		return err
	}
	if panicked, _ := tryParse(text, vitessParse); !panicked {
		return text
	}
	if spaced := unglueSelect(text); spaced != text {
		if panicked, _ := tryParse(spaced, vitessParse); !panicked {
			return spaced
		}
	}
	return text + "\x00"
}

// lastWord is the end of query that a syntax error quotes.
func lastWord(query string) string {
	q := strings.TrimSpace(query)
	if i := strings.LastIndexAny(q, " \t\n"); i >= 0 {
		q = q[i+1:]
	}
	if len(q) > 64 {
		q = q[len(q)-64:]
	}
	return q
}

// rewriteStatement applies the text rewrites of statements
// go-mysql-server's grammar lacks: locking clauses, and ALTER USER / SHOW
// CREATE USER with login protection (accountlock_sql.go).
func rewriteStatement(q string) string {
	return rewriteShowCreateUser(rewriteAlterUserLock(rewriteLockingClauses(q)))
}

// withTraditionalExplain turns `EXPLAIN FORMAT=TRADITIONAL` into plain
// EXPLAIN, which is the same in MySQL: go-mysql-server's plan builder knows
// only the formats of its own plan printer (tree, debug, estimates) and
// refused the name.
func withTraditionalExplain(stmt ast.Statement) ast.Statement {
	if e, ok := stmt.(*ast.Explain); ok && strings.EqualFold(e.ExplainFormat, ast.TraditionalStr) {
		e.ExplainFormat = ""
	}
	return stmt
}

// withBooleanMatch applies rewriteBooleanMatch (fulltext_boolean.go) to a
// statement whose text mentions BOOLEAN; others are not walked.
func withBooleanMatch(query string, stmt ast.Statement) ast.Statement {
	if stmt != nil && containsFold(query, "boolean") {
		rewriteBooleanMatch(stmt)
	}
	return stmt
}

// rewriteLockingClauses turns `FOR SHARE [OF t, ...] [NOWAIT | SKIP
// LOCKED]` into `LOCK IN SHARE MODE` and drops `OF t, ...` and `NOWAIT`
// after `FOR UPDATE`. Text in strings, quoted identifiers and comments is
// left alone. Queries without such a clause come back unchanged, without
// being scanned beyond a keyword check.
func rewriteLockingClauses(q string) string {
	if !containsFold(q, "share") && !containsFold(q, "nowait") && !(containsFold(q, "update") && containsFold(q, "of")) {
		return q
	}
	toks := lexSQL(q)
	var b strings.Builder
	last := 0
	for i := 0; i+1 < len(toks); i++ {
		if !toks[i].is("FOR") {
			continue
		}
		share := toks[i+1].is("SHARE")
		if !share && !toks[i+1].is("UPDATE") {
			continue
		}
		// `SHOW GRANTS FOR share@host`, `SET PASSWORD FOR share = ...`:
		// a user name, not a locking clause.
		if i+2 < len(toks) && (toks[i+2].text == "@" || toks[i+2].text == "=") {
			continue
		}
		j := i + 2
		if j+1 < len(toks) && toks[j].is("OF") && toks[j+1].name() {
			j = skipTableList(toks, j+1)
		}
		skipLocked := false
		switch {
		case j < len(toks) && toks[j].is("NOWAIT"):
			j++
		case j+1 < len(toks) && toks[j].is("SKIP") && toks[j+1].is("LOCKED"):
			skipLocked = true
			j += 2
		}
		var repl string
		switch {
		case share:
			repl = "LOCK IN SHARE MODE"
		case j == i+2:
			continue // plain FOR UPDATE
		case skipLocked:
			repl = "FOR UPDATE SKIP LOCKED"
		default:
			repl = "FOR UPDATE"
		}
		b.WriteString(q[last:toks[i].start])
		b.WriteString(repl)
		last = toks[j-1].end
		i = j - 1
	}
	if last == 0 {
		return q
	}
	b.WriteString(q[last:])
	return b.String()
}

// skipTableList returns the index after `tbl [, tbl ...]` starting at i,
// where tbl is a possibly qualified, possibly quoted name.
func skipTableList(toks []sqlToken, i int) int {
	for i < len(toks) && toks[i].name() {
		i++
		for i+1 < len(toks) && toks[i].text == "." && toks[i+1].name() {
			i += 2
		}
		if i+1 < len(toks) && toks[i].text == "," && toks[i+1].name() {
			i++
			continue
		}
		break
	}
	return i
}
