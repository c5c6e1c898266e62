package mysqlserver

import (
	"context"
	"io"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/procedures"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// A CALL sends the client one result set per SELECT its procedure runs
// (nested procedures included), then the CALL's OK, or the error that
// stopped the procedure after the result sets before it. go-mysql-server
// v0.20.0 keeps only the last SELECT's rows. Its interpreter runs every
// statement of a procedure through the analyzer's StatementRunner, so
// guocedb installs a recordingRunner there: while a client CALL runs, it
// keeps each result set in the callResults the handler put into the
// statement's context, and the handler sends them (call.go).
//
// Which statements make result sets is decided from the procedure's
// statements when the CALL's plan goes to the executor (learnCalls),
// because the interpreter hands the runner the same AST nodes:
//   - a SELECT without INTO makes one; a SELECT ... INTO does not. The
//     interpreter clears INTO on the stored statement before running it,
//     so a loop would run it as a plain SELECT from the second pass on;
//     the runner puts INTO back once the statement ran.
//   - DO (rewritten to a SELECT marked with doComment, see parser.go)
//     does not.
//   - any other statement (UNION, SHOW, ...) does when its schema is not
//     go-mysql-server's OK result.

// stmtRole is what a procedure statement sends the client.
type stmtRole int

const (
	roleUnknown stmtRole = iota // not a procedure statement
	roleRows                    // a result set
	roleInto                    // SELECT ... INTO: nothing
	roleDo                      // DO: nothing
	roleOther                   // a result set unless its schema is an OK result
)

// callResults collects the result sets of one client statement. Nested
// procedures run in the same goroutine; mu is for safety only.
type callResults struct {
	mu    sync.Mutex
	roles map[ast.Statement]stmtRole
	// into keeps the INTO clause of SELECT ... INTO statements.
	into map[*ast.Select]*ast.Into
	// sets are the result sets so far, as the wire sends them.
	sets []*sqltypes.Result
}

func newCallResults() *callResults {
	return &callResults{roles: make(map[ast.Statement]stmtRole), into: make(map[*ast.Select]*ast.Into)}
}

type callResultsKey struct{}

// withCallResults returns ctx carrying r: go-mysql-server builds every
// sql.Context of the statement, the interpreter's included, on it.
func withCallResults(ctx context.Context, r *callResults) context.Context {
	return context.WithValue(ctx, callResultsKey{}, r)
}

func callResultsFrom(ctx context.Context) *callResults {
	r, _ := ctx.Value(callResultsKey{}).(*callResults)
	return r
}

// learn records the roles of a procedure's statements.
func (r *callResults) learn(ops []*procedures.InterpreterOperation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, op := range ops {
		switch op.OpCode {
		case procedures.OpCode_Select:
			sel, ok := op.PrimaryData.(*ast.Select)
			if !ok {
				continue
			}
			switch {
			case isDoSelect(sel):
				r.roles[sel] = roleDo
			case sel.Into != nil:
				r.roles[sel] = roleInto
				r.into[sel] = sel.Into
			case r.roles[sel] == roleUnknown:
				r.roles[sel] = roleRows
			}
		case procedures.OpCode_Execute:
			if op.PrimaryData != nil {
				r.roles[op.PrimaryData] = roleOther
			}
		}
	}
}

func (r *callResults) role(st ast.Statement) stmtRole {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.roles[st]
}

func (r *callResults) add(set *sqltypes.Result) {
	r.mu.Lock()
	r.sets = append(r.sets, set)
	r.mu.Unlock()
}

// results returns the result sets collected so far.
func (r *callResults) results() []*sqltypes.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sets
}

// restoreInto puts back the INTO clause the interpreter cleared.
func (r *callResults) restoreInto(sel *ast.Select) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if into, ok := r.into[sel]; ok {
		sel.Into = into
	}
}

// isDoSelect reports whether sel is a DO rewritten by the parser.
func isDoSelect(sel *ast.Select) bool {
	for _, c := range sel.Comments {
		if strings.Contains(string(c), doComment) {
			return true
		}
	}
	return false
}

// recordingRunner is the analyzer's StatementRunner (the engine) that
// records the result sets of procedure statements; see the top of this
// file.
type recordingRunner struct{ inner sql.StatementRunner }

var _ sql.StatementRunner = recordingRunner{}

// QueryWithBindings implements sql.StatementRunner.
func (rr recordingRunner) QueryWithBindings(ctx *sql.Context, query string, parsed ast.Statement, bindings map[string]ast.Expr, qFlags *sql.QueryFlags) (sql.Schema, sql.RowIter, *sql.QueryFlags, error) {
	col := callResultsFrom(ctx)
	role := roleUnknown
	if col != nil {
		role = col.role(parsed)
	} else if sel, ok := parsed.(*ast.Select); ok && isDoSelect(sel) {
		// A DO of a procedure whose results are not collected (see
		// call.go) must not become its result set either.
		role = roleDo
	}
	sch, iter, flags, err := rr.inner.QueryWithBindings(ctx, query, parsed, bindings, qFlags)
	if sel, ok := parsed.(*ast.Select); ok && role == roleInto && col != nil {
		// The statement is analysed: the AST is free to take its INTO
		// back for the next pass of a loop.
		col.restoreInto(sel)
	}
	if err != nil {
		return sch, iter, flags, err
	}
	switch role {
	case roleRows:
	case roleOther:
		// SET and the like have no columns, DML has an OK result.
		if len(sch) == 0 || types.IsOkResultSchema(sch) {
			return sch, iter, flags, nil
		}
	case roleDo:
		if _, err := drain(ctx, iter); err != nil {
			return nil, nil, flags, err
		}
		return sch, sql.RowsToRowIter(), flags, nil
	default:
		return sch, iter, flags, nil
	}
	rows, err := drain(ctx, iter)
	if err != nil {
		return nil, nil, flags, err
	}
	set, err := wireResult(ctx, sch, rows)
	if err != nil {
		return nil, nil, flags, err
	}
	col.add(set)
	return sch, sql.RowsToRowIter(rows...), flags, nil
}

// drain reads iter to its end and closes it.
func drain(ctx *sql.Context, iter sql.RowIter) ([]sql.Row, error) {
	var rows []sql.Row
	for {
		row, err := iter.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			_ = iter.Close(ctx)
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, iter.Close(ctx)
}

// learnCalls learns the statements of the procedures the plan n calls,
// when the statement collects result sets: the executor gets the plan of
// every statement, a procedure's own (nested CALLs) included, before it
// runs.
func learnCalls(ctx *sql.Context, n sql.Node) {
	col := callResultsFrom(ctx)
	if col == nil {
		return
	}
	transform.Inspect(n, func(n sql.Node) bool {
		if call, ok := n.(*plan.Call); ok && call.Procedure != nil {
			col.learn(call.GetStatements())
		}
		return true
	})
}
