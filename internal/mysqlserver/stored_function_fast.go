package mysqlserver

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
	"github.com/dolthub/go-mysql-server/sql/transform"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// A function whose body is a single RETURN expr without a subquery is
// built once per call site into an expression (go-mysql-server's plan
// builder, its parameters bound as expressions that read the running
// call's arguments) and evaluated directly: the interpreter would plan
// and analyze a SELECT of the expression at every call (about 0.3 ms, so
// a call per row of a scan cost that per row). Anything else, and any
// expression the builder refuses, runs in the interpreter.

// fastReturn is a RETURN expr body built into an expression.
type fastReturn struct {
	expr sql.Expression
	// vals are the running call's arguments, read by the argRefs.
	vals []any
}

// argRef is a parameter in a fastReturn's expression.
type argRef struct {
	fr  *fastReturn
	i   int
	typ sql.Type
}

var _ sql.Expression = (*argRef)(nil)

// Resolved implements sql.Expression.
func (a *argRef) Resolved() bool { return true }

// String implements sql.Expression.
func (a *argRef) String() string { return fmt.Sprintf("guocedb_arg%d", a.i) }

// Type implements sql.Expression.
func (a *argRef) Type() sql.Type { return a.typ }

// IsNullable implements sql.Expression.
func (a *argRef) IsNullable() bool { return true }

// Eval implements sql.Expression.
func (a *argRef) Eval(*sql.Context, sql.Row) (any, error) { return a.fr.vals[a.i], nil }

// Children implements sql.Expression.
func (a *argRef) Children() []sql.Expression { return nil }

// WithChildren implements sql.Expression.
func (a *argRef) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), 0)
	}
	return a, nil
}

// returnOnlyText returns "SELECT expr" for a body RETURN expr, with each
// parameter replaced by the bind variable :guocedb_argN; ok is false for
// any other body, or one with a subquery.
func returnOnlyText(body string, params []funcParam) (string, bool) {
	toks := lexSQL(body)
	if len(toks) < 2 || !toks[0].is("RETURN") {
		return "", false
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	last := toks[1].start
	for i := 1; i < len(toks); i++ {
		t := toks[i]
		if t.is("SELECT") || t.text == ";" {
			return "", false
		}
		if !t.name() || t.text[0] >= '0' && t.text[0] <= '9' {
			continue
		}
		if prev := toks[i-1]; (prev.text == "." || prev.text == "@") && prev.end == t.start {
			continue
		}
		if i+1 < len(toks) && (toks[i+1].text == "." || toks[i+1].text == "(") {
			continue
		}
		name := strings.ToLower(unquote(t))
		for k, p := range params {
			if p.name == name {
				b.WriteString(body[last:t.start])
				fmt.Fprintf(&b, ":guocedb_arg%d", k)
				last = t.end
				break
			}
		}
	}
	b.WriteString(body[last:])
	return b.String(), true
}

// buildFastReturn builds cf's body when it is a RETURN expr the plan
// builder takes without analysis; nil otherwise.
func (fs *storedFunctions) buildFastReturn(ctx *sql.Context, cf *compiledFunction, opts ast.ParserOptions) (fr *fastReturn) {
	text, ok := returnOnlyText(cf.def.body, cf.params)
	if !ok || fs.catalog == nil {
		return nil
	}
	stmt, err := ast.ParseWithOptions(ctx, text, opts)
	if err != nil {
		return nil
	}
	defer func() {
		if recover() != nil {
			fr = nil // whatever the builder could not take: the interpreter runs it
		}
	}()
	fr = &fastReturn{vals: make([]any, len(cf.params))}
	bindings := make(map[string]sql.Expression, len(cf.params))
	for i, p := range cf.params {
		bindings[fmt.Sprintf("guocedb_arg%d", i)] = &argRef{fr: fr, i: i, typ: p.typ}
	}
	b := planbuilder.New(ctx, fs.catalog, nil, nil)
	b.SetParserOptions(opts)
	b.SetBindingsWithExpr(bindings)
	node, _, err := b.BindOnly(stmt, text, nil)
	if err != nil {
		return nil
	}
	proj, ok := node.(*plan.Project)
	if !ok || len(proj.Projections) != 1 {
		return nil
	}
	e := proj.Projections[0]
	if a, ok := e.(*expression.Alias); ok {
		e = a.Child
	}
	simple := !transform.InspectExpr(e, func(e sql.Expression) bool {
		switch e.(type) {
		case *plan.Subquery, *expression.GetField, *expression.BindVar:
			return true // needs the analyzer, or a row
		}
		return false
	})
	if !simple {
		return nil
	}
	fr.expr = e
	return fr
}
