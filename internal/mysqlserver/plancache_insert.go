package mysqlserver

import (
	"context"
	"fmt"
	"io"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/guocedb/guocedb/internal/backend"
)

// Cached single-row inserts skip the plan copy and the execution
// wrappers that cost more than the insert (DESIGN.md, "Single-row
// inserts").
//
// A cached INSERT ... VALUES (one row of literals) runs through
// go-mysql-server's executor like any cached plan: its ProjectIter
// evaluates the row (defaults, AUTO_INCREMENT), its insertIter converts
// the values to the column types (the strict-mode errors and warnings),
// checks NULLs, calls the table's inserter and sets LAST_INSERT_ID, its
// TableEditorIter runs the statement's begin, complete or discard, and
// its accumulator and transaction iterators count the rows and commit an
// autocommit statement. What spoolInsert leaves out, because for such a
// plan it does nothing but cost:
//   - substitute's walk and rebuild of the whole plan: only the VALUES
//     row holds the statement's values (checked when the plan is kept),
//     so a new row of literals is put under the kept projection;
//   - guocedb's plan rewrites (rewritingBuilder) on every execution:
//     they depend on the plan's node kinds and types only, so they run
//     once, on the kept plan;
//   - go-mysql-server's TrackedRowIter and expression closer, whose work
//     here is to end the query in the process list (spoolInsert does)
//     and to dispose of and close expressions the plan does not have
//     (checked when the plan is kept);
//   - the rest of its handler's execute: the query's context, process
//     list entry, command begin and end and status flags are made as
//     spoolPoint makes them.

// insertPlan is a cached INSERT that spoolInsert can run.
type insertPlan struct {
	// ii is the analyzed plan with guocedb's rewrites applied; its
	// source is proj over values.
	ii     *plan.InsertInto
	proj   *plan.Project
	values *plan.Values
	// row is the VALUES row; at[j] is the parameter in row[j], -1 for a
	// constant of the statement.
	row []*expression.Literal
	at  []int
	// build makes the executor of a plan (the rewriting builder's next).
	build sql.NodeExecBuilder
}

// fastInsertOf returns the insertPlan of an analyzed, cacheable plan
// made for vals, or nil when the plan needs more than spoolInsert does:
// REPLACE, IGNORE, ON DUPLICATE KEY UPDATE, RETURNING, CHECK
// constraints, more than one row, a value that is not a literal, a
// destination that is not a plain guocedb table (triggers and foreign
// keys wrap it), an expression that must be disposed of or closed, or a
// parameter's value found outside the VALUES row.
func fastInsertOf(ctx *sql.Context, p sql.Node, vals []boundValue, builder sql.NodeExecBuilder) *insertPlan {
	rb, ok := builder.(rewritingBuilder)
	if !ok {
		return nil
	}
	if _, ok := p.(*plan.InsertInto); !ok {
		return nil
	}
	n := p
	for _, rewrite := range rb.rewrites {
		var err error
		if n, err = rewrite(n); err != nil {
			return nil
		}
	}
	ii, ok := n.(*plan.InsertInto)
	if !ok || ii.IsReplace || ii.Ignore || len(ii.OnDupExprs) > 0 || len(ii.Returning) > 0 || len(ii.Checks()) > 0 {
		return nil
	}
	if !plainDestination(ii.Destination) {
		return nil
	}
	proj, ok := ii.Source.(*plan.Project)
	if !ok {
		return nil
	}
	values, ok := proj.Child.(*plan.Values)
	if !ok || len(values.ExpressionTuples) != 1 {
		return nil
	}
	fp := &insertPlan{ii: ii, proj: proj, values: values, build: rb.next}
	inRow := make(map[sql.Expression]bool)
	for _, e := range values.ExpressionTuples[0] {
		lit, ok := e.(*expression.Literal)
		if !ok {
			return nil
		}
		at := -1
		for i, v := range vals {
			if sameValue(lit.Value(), v, false) {
				if at >= 0 {
					return nil // two parameters had this value
				}
				at = i
			}
		}
		fp.row = append(fp.row, lit)
		fp.at = append(fp.at, at)
		inRow[e] = true
	}
	for i := range vals {
		if !containsInt(fp.at, i) {
			return nil // the value is somewhere else in the plan
		}
	}
	// Nothing else in the plan may hold a parameter's value (substitute
	// would put the new value there too; a value of a class that has
	// one value, zero, stays what it is), nor need disposing or closing
	// (go-mysql-server's execute does that; spoolInsert does not). The
	// source is not a child of the insert: it is walked on its own, and
	// the insert's own Dispose only disposes of the source.
	ok = true
	nodes := func(n sql.Node) bool {
		if _, d := n.(sql.Disposable); d && n != sql.Node(ii) {
			ok = false
		}
		return ok
	}
	exprs := func(e sql.Expression) bool {
		if inRow[e] {
			return ok
		}
		switch e := e.(type) {
		case sql.Disposable, sql.Closer, *plan.Subquery, *expression.BindVar:
			ok = false
		case *expression.Literal:
			for _, v := range vals {
				if !single(v) && sameValue(e.Value(), v, false) {
					ok = false
				}
			}
		}
		return ok
	}
	for _, n := range []sql.Node{ii, ii.Source} {
		transform.Inspect(n, nodes)
		transform.InspectExpressions(n, exprs)
	}
	if !ok {
		return nil
	}
	return fp
}

// single reports whether v's class has one value (zero), which
// substitution can only replace by itself.
func single(v boundValue) bool {
	return v.class == '0' || v.class == 'z'
}

// plainDestination reports whether an insert's destination is a guocedb
// table under only the wrappers go-mysql-server puts on every insert
// (not a trigger executor, not a foreign key handler).
func plainDestination(n sql.Node) bool {
	for {
		switch d := n.(type) {
		case *plan.InsertDestination:
			n = d.Child
		case *plan.ResolvedTable:
			_, ok := sql.GetUnderlyingTable(d.Table).(*backend.Table)
			return ok
		default:
			return false
		}
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// bind returns the plan with vals in its VALUES row, as substitute would
// make it (each new literal keeps the type of the literal it replaces).
func (fp *insertPlan) bind(vals []boundValue) (sql.Node, error) {
	row := make([]sql.Expression, len(fp.row))
	for j, lit := range fp.row {
		if fp.at[j] < 0 {
			row[j] = lit
			continue
		}
		row[j] = expression.NewLiteral(vals[fp.at[j]].v, lit.Type())
	}
	values := *fp.values
	values.ExpressionTuples = [][]sql.Expression{row}
	src, err := fp.proj.WithChildren(&values)
	if err != nil {
		return nil, err
	}
	return fp.ii.WithSource(src), nil
}

// spoolInsert executes a cached insert for which fastInsertOf gave fp,
// with the values vals: what go-mysql-server's handler and
// PrepQueryPlanForExecution do for it, in the same order, without what
// does nothing for such a plan (see above).
func (h *handler) spoolInsert(ctx context.Context, c *mysql.Conn, s *backend.Session, query string, fp *insertPlan, vals []boundValue, send mysql.ResultSpoolFn) (err error) {
	defer func() {
		if err != nil {
			err = sql.CastSQLError(err)
		}
	}()
	sctx, end, err := h.beginSpooled(ctx, s, query)
	if err != nil {
		return err
	}
	defer end()

	p, err := fp.bind(vals)
	if err != nil {
		return err
	}
	iter, err := h.prepareInsert(sctx, fp, p)
	if err != nil {
		return err
	}
	res, err := okResultOf(sctx, iter)
	if err != nil {
		return err
	}
	if err := setStatusFlags(sctx, c); err != nil {
		return err
	}
	return send(res, false)
}

// prepareInsert is go-mysql-server's PrepQueryPlanForExecution for an
// insertPlan's plan: the session check, the transaction (started when
// the session has none), the read-only check, the executor (built
// without the rewrites, which the plan has had), and the accumulator
// and committing iterators FinalizeIters adds (the trigger rollback
// iterator needs triggers, which such a plan has not).
func (h *handler) prepareInsert(ctx *sql.Context, fp *insertPlan, p sql.Node) (sql.RowIter, error) {
	if err := ctx.Session.ValidateSession(ctx); err != nil {
		return nil, err
	}
	if ctx.GetTransaction() == nil {
		if ts, ok := ctx.Session.(sql.TransactionSession); ok {
			tx, err := ts.StartTransaction(ctx, sql.ReadWrite)
			if err != nil {
				return nil, err
			}
			ctx.SetTransaction(tx)
		}
	}
	if h.engine.IsReadOnly() {
		return nil, sql.ErrReadOnly.New()
	}
	if h.engine.IsServerLocked {
		return nil, sql.ErrDatabaseWriteLocked.New()
	}
	iter, err := fp.build.Build(ctx, p, nil)
	if err == nil {
		iter, _ = rowexec.AddAccumulatorIter(ctx, iter)
		iter, err = rowexec.AddTransactionCommittingIter(ctx, nil, iter)
	}
	if err != nil {
		if cerr := clearAutocommitTransaction(ctx); cerr != nil {
			return nil, fmt.Errorf("unable to clear autocommit transaction: %s: %w", cerr.Error(), err)
		}
		return nil, err
	}
	return iter, nil
}

// clearAutocommitTransaction drops an autocommit statement's transaction
// after its executor could not be built, as go-mysql-server's engine
// does.
func clearAutocommitTransaction(ctx *sql.Context) error {
	if ctx.GetIgnoreAutoCommit() {
		return nil
	}
	autocommit, err := plan.IsSessionAutocommit(ctx)
	if err != nil {
		return err
	}
	if autocommit {
		ctx.SetTransaction(nil)
	}
	return nil
}

// okResultOf is go-mysql-server's resultForOkIter: the one OK row of a
// write's iterator, which is closed (committing an autocommit
// statement) only when the row came; an error leaves it open, as there.
func okResultOf(ctx *sql.Context, iter sql.RowIter) (*sqltypes.Result, error) {
	row, err := iter.Next(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := iter.Next(ctx); err != io.EOF {
		return nil, fmt.Errorf("result schema iterator returned more than one row")
	}
	if err := iter.Close(ctx); err != nil {
		return nil, err
	}
	ok, isOK := row[0].(types.OkResult)
	if !isOK {
		return nil, fmt.Errorf("insert returned %T, not an OK result", row[0])
	}
	info := ""
	if ok.Info != nil {
		info = ok.Info.String()
	}
	return &sqltypes.Result{RowsAffected: ok.RowsAffected, InsertID: ok.InsertID, Info: info}, nil
}
