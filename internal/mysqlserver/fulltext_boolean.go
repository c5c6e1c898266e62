package mysqlserver

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/fulltext"
	"github.com/dolthub/go-mysql-server/sql/types"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// MATCH ... AGAINST (... IN BOOLEAN MODE): go-mysql-server v0.20.0 parses
// the mode and refuses it. guocedb rewrites the parsed statement so that
//
//	MATCH (c1, c2) AGAINST (q IN BOOLEAN MODE)
//
// becomes
//
//	guocedb_match_boolean(MATCH (c1, c2) AGAINST (q), c1, c2, q)
//
// The inner natural-language MATCH makes the planner find the FULLTEXT
// index (1191 without one, as MySQL) and gives the relevance from the
// index; the function applies the boolean operators to the row's text and
// returns 0 for a row they reject. Wrapped, the MATCH is no index lookup
// for the planner, so the table is scanned and every row checked: the
// operators (exclusion, prefixes, phrases) select rows an index lookup of
// the words would not.

// matchBooleanFunc is the name of the rewrite's function. It is callable
// by users too, and then checks its arguments.
const matchBooleanFunc = "guocedb_match_boolean"

// maxBooleanDepth bounds the nesting of parentheses in a boolean query.
const maxBooleanDepth = 32

// rewriteBooleanMatch replaces every MATCH ... IN BOOLEAN MODE in the
// select list, WHERE, HAVING and ORDER BY of stmt (subqueries included) by
// the function above. Elsewhere go-mysql-server's refusal (1235) stays.
func rewriteBooleanMatch(stmt ast.Statement) {
	_ = ast.Walk(func(node ast.SQLNode) (bool, error) {
		// The walk hands over typed nil pointers (a SELECT without WHERE).
		switch n := node.(type) {
		case *ast.Where:
			if n != nil {
				n.Expr = replaceBooleanMatch(n.Expr)
			}
		case *ast.AliasedExpr:
			if n != nil {
				n.Expr = replaceBooleanMatch(n.Expr)
			}
		case *ast.Order:
			if n != nil {
				n.Expr = replaceBooleanMatch(n.Expr)
			}
		}
		return true, nil
	}, stmt)
}

// replaceBooleanMatch returns root with its boolean-mode MATCH expressions
// replaced (in place where they are nested).
func replaceBooleanMatch(root ast.Expr) ast.Expr {
	if root == nil {
		return nil
	}
	var found []*ast.MatchExpr
	_ = ast.Walk(func(node ast.SQLNode) (bool, error) {
		if m, ok := node.(*ast.MatchExpr); ok && m != nil && m.Option == ast.BooleanModeStr {
			found = append(found, m)
		}
		return true, nil
	}, root)
	for _, m := range found {
		args := ast.SelectExprs{&ast.AliasedExpr{Expr: &ast.MatchExpr{Columns: m.Columns, Expr: m.Expr}}}
		args = append(args, m.Columns...)
		args = append(args, &ast.AliasedExpr{Expr: m.Expr})
		fn := &ast.FuncExpr{Name: ast.NewColIdent(matchBooleanFunc), Exprs: args}
		root = ast.ReplaceExpr(root, m, fn)
	}
	return root
}

// matchBooleanFunction is the sql.Function the rewrite calls.
var matchBooleanFunction = sql.FunctionN{Name: matchBooleanFunc, Fn: newMatchBoolean}

func newMatchBoolean(args ...sql.Expression) (sql.Expression, error) {
	if len(args) < 3 {
		return nil, sql.ErrInvalidArgumentNumber.New(matchBooleanFunc, "at least 3", len(args))
	}
	if _, ok := args[0].(*expression.MatchAgainst); !ok {
		return nil, fmt.Errorf("%s is the implementation of MATCH ... AGAINST (... IN BOOLEAN MODE); use that syntax", matchBooleanFunc)
	}
	return &matchBoolean{args: args}, nil
}

// matchBoolean evaluates a boolean-mode search on one row: args are the
// natural-language MATCH, the searched columns, then the query.
type matchBoolean struct {
	args []sql.Expression

	mu     sync.Mutex
	query  string // the query of terms, parsed once per distinct query
	terms  []boolTerm
	parsed bool
}

var _ sql.Expression = (*matchBoolean)(nil)

func (m *matchBoolean) Resolved() bool {
	for _, a := range m.args {
		if !a.Resolved() {
			return false
		}
	}
	return true
}

func (m *matchBoolean) String() string {
	cols := make([]string, 0, len(m.args)-2)
	for _, c := range m.args[1 : len(m.args)-1] {
		cols = append(cols, c.String())
	}
	return fmt.Sprintf("MATCH (%s) AGAINST (%s IN BOOLEAN MODE)", strings.Join(cols, ","), m.args[len(m.args)-1])
}

func (m *matchBoolean) Type() sql.Type             { return types.Float32 }
func (m *matchBoolean) IsNullable() bool           { return false }
func (m *matchBoolean) Children() []sql.Expression { return m.args }
func (m *matchBoolean) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

func (m *matchBoolean) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(m.args) {
		return nil, sql.ErrInvalidChildrenNumber.New(m, len(children), len(m.args))
	}
	return newMatchBoolean(children...)
}

// Eval returns the row's relevance: 0 when the operators reject the row,
// otherwise the natural-language relevance of the query's words (at least
// 0.5), halved when the row contains a ~word.
func (m *matchBoolean) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	q, err := m.args[len(m.args)-1].Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	if q == nil {
		return float32(0), nil
	}
	qs, ok := q.(string)
	if !ok {
		if qs, err = types.ConvertToString(ctx, q, types.LongText, nil); err != nil {
			return nil, err
		}
	}
	collation := sql.Collation_Default
	vals := make([]any, 0, len(m.args)-2)
	for i, c := range m.args[1 : len(m.args)-1] {
		v, err := c.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			collation, _ = c.Type().CollationCoercibility(ctx)
		}
		vals = append(vals, v)
	}
	terms, err := m.parse(ctx, collation, qs)
	if err != nil {
		return nil, err
	}
	doc, err := newBoolDoc(ctx, collation, vals)
	if err != nil {
		return nil, err
	}
	match, lowered := evalBoolTerms(terms, doc)
	if !match {
		return float32(0), nil
	}
	natural, err := m.args[0].Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	score, _ := natural.(float32)
	if score < 0.5 {
		score = 0.5
	}
	if lowered {
		score /= 2
	}
	return score, nil
}

func (m *matchBoolean) parse(ctx *sql.Context, collation sql.CollationID, q string) ([]boolTerm, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.parsed && m.query == q {
		return m.terms, nil
	}
	terms, err := parseBoolQuery(ctx, collation, q)
	if err != nil {
		return nil, err
	}
	m.query, m.terms, m.parsed = q, terms, true
	return terms, nil
}

// boolTerm is one term of a boolean query: an operator and a word, a
// word prefix (word*), a phrase ("a b") or a parenthesized group.
type boolTerm struct {
	op     byte     // 0 (optional), '+', '-', '~', '>' or '<'
	keys   []string // collation keys: one word, or the phrase's words
	prefix bool
	group  []boolTerm
}

// parseBoolQuery parses MySQL's boolean full-text syntax. Like MySQL it is
// lenient: an unclosed group or phrase ends with the query, a stray ')'
// is ignored, words below the indexed length are left out.
func parseBoolQuery(ctx *sql.Context, collation sql.CollationID, q string) ([]boolTerm, error) {
	p := &boolParser{ctx: ctx, collation: collation, q: []rune(q)}
	return p.list(0)
}

type boolParser struct {
	ctx       *sql.Context
	collation sql.CollationID
	q         []rune
	i         int
}

func (p *boolParser) list(depth int) ([]boolTerm, error) {
	if depth > maxBooleanDepth {
		return nil, fmt.Errorf("boolean full-text query nests parentheses deeper than %d", maxBooleanDepth)
	}
	var out []boolTerm
	for p.i < len(p.q) {
		r := p.q[p.i]
		switch {
		case unicode.IsSpace(r):
			p.i++
			continue
		case r == ')':
			p.i++
			if depth > 0 {
				return out, nil
			}
			continue
		}
		var t boolTerm
		if strings.ContainsRune("+-~<>", r) {
			t.op = byte(r)
			p.i++
			if p.i >= len(p.q) {
				break
			}
			r = p.q[p.i]
		}
		switch {
		case r == '(':
			p.i++
			g, err := p.list(depth + 1)
			if err != nil {
				return nil, err
			}
			t.group = g
		case r == '"':
			p.i++
			start := p.i
			for p.i < len(p.q) && p.q[p.i] != '"' {
				p.i++
			}
			words, err := p.words(string(p.q[start:p.i]))
			if err != nil {
				return nil, err
			}
			p.i++ // the closing quote
			t.keys = words
		default:
			start := p.i
			for p.i < len(p.q) && !unicode.IsSpace(p.q[p.i]) && !strings.ContainsRune(`()"`, p.q[p.i]) {
				p.i++
			}
			text := string(p.q[start:p.i])
			if strings.HasSuffix(text, "*") {
				t.prefix = true
				stem := strings.TrimFunc(strings.TrimRight(text, "*"), func(r rune) bool { return !isWordRune(r) })
				if stem != "" {
					t.keys = []string{p.key(stem)}
				}
			} else {
				words, err := p.words(text)
				if err != nil {
					return nil, err
				}
				t.keys = words
			}
		}
		if len(t.keys) > 0 || t.group != nil {
			out = append(out, t)
		}
	}
	return out, nil
}

// words splits text as the FULLTEXT index does (go-mysql-server's default
// parser: no stopwords, words of at least 3 characters) into keys.
func (p *boolParser) words(text string) ([]string, error) {
	dp, err := fulltext.NewDefaultParser(p.ctx, p.collation, text)
	if err != nil {
		return nil, err
	}
	var out []string
	for {
		w, _, end, err := dp.Next(p.ctx)
		if err != nil {
			return nil, err
		}
		if end {
			return out, nil
		}
		out = append(out, p.key(w))
	}
}

func (p *boolParser) key(w string) string { return collationKey(p.collation, w) }

// isWordRune is the default parser's word character.
func isWordRune(r rune) bool {
	return ((unicode.IsLetter(r) || unicode.IsNumber(r)) && !unicode.IsPunct(r)) || r == '_'
}

// collationKey is w as the collation's weights, four bytes a rune, so
// that equal words (under a case-insensitive collation, 'Go' and 'go')
// have equal keys and a prefix's key is a prefix of the word's.
func collationKey(collation sql.CollationID, w string) string {
	sorter := collation.Sorter()
	if sorter == nil {
		return strings.ToLower(w)
	}
	b := make([]byte, 0, 4*len(w))
	for _, r := range w {
		b = binary.BigEndian.AppendUint32(b, uint32(sorter(r)))
	}
	return string(b)
}

// boolDoc is a row's text as the sequence of its words' keys.
type boolDoc struct {
	keys []string
	set  map[string]bool
}

func newBoolDoc(ctx *sql.Context, collation sql.CollationID, vals []any) (*boolDoc, error) {
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			vals[i] = string(b)
		} else if v != nil {
			if _, ok := v.(string); !ok {
				s, err := types.ConvertToString(ctx, v, types.LongText, nil)
				if err != nil {
					return nil, err
				}
				vals[i] = s
			}
		}
	}
	dp, err := fulltext.NewDefaultParser(ctx, collation, vals...)
	if err != nil {
		return nil, err
	}
	d := &boolDoc{set: map[string]bool{}}
	for {
		w, _, end, err := dp.Next(ctx)
		if err != nil {
			return nil, err
		}
		if end {
			return d, nil
		}
		k := collationKey(collation, w)
		d.keys = append(d.keys, k)
		d.set[k] = true
	}
}

func (d *boolDoc) contains(t boolTerm) bool {
	switch {
	case t.group != nil:
		ok, _ := evalBoolTerms(t.group, d)
		return ok
	case t.prefix:
		for _, k := range d.keys {
			if strings.HasPrefix(k, t.keys[0]) {
				return true
			}
		}
		return false
	case len(t.keys) == 1:
		return d.set[t.keys[0]]
	}
	for i := 0; i+len(t.keys) <= len(d.keys); i++ {
		ok := true
		for j, k := range t.keys {
			if d.keys[i+j] != k {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// evalBoolTerms applies MySQL's rules to one list of terms: every +term
// present, no -term present, and without +terms at least one optional
// term present (a query of -terms alone matches nothing). A present
// ~term does not make a row match; it lowers its relevance.
func evalBoolTerms(terms []boolTerm, d *boolDoc) (match, lowered bool) {
	required, optional := false, false
	for _, t := range terms {
		present := d.contains(t)
		switch t.op {
		case '+':
			if !present {
				return false, false
			}
			required = true
		case '-':
			if present {
				return false, false
			}
		case '~':
			lowered = lowered || present
		default:
			optional = optional || present
		}
	}
	return required || optional, lowered
}
