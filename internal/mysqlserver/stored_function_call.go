package mysqlserver

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/go-mysql-server/sql/procedures"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// How a stored function runs. go-mysql-server v0.20.0 has no user
// functions, but it asks the database provider for functions it does not
// know (sql.FunctionProvider), and it has a stored procedure interpreter
// (sql/procedures) that runs a BEGIN ... END body statement by statement
// through the analyzer's runner. A function is compiled into that
// interpreter's operations:
//
//   - its text becomes the equivalent CREATE PROCEDURE (parameters,
//     characteristics and body unchanged) parsed by vitess, so a body is
//     read exactly as a procedure's would be;
//   - every RETURN expr (vitess parses it, the interpreter cannot run it)
//     becomes SET guocedb_return = expr; LEAVE guocedb_function, with the
//     body wrapped in the block of that label;
//   - the interpreter reads parameters from the session's stored procedure
//     parameters (by name), so a call sets them, with guocedb_return,
//     runs the operations, reads guocedb_return and puts back what the
//     names held before (a CALL in progress may use the same names).
//
// The body's statements run in the caller's transaction, marked as
// interpreted (sql.RunInterpreted): go-mysql-server then neither commits
// after each of them nor lists them in the process list, so a function in
// a statement sees that statement's transaction, as in MySQL.

const (
	// returnVar holds a call's return value (a stored procedure
	// parameter of the session while the call runs).
	returnVar = "guocedb_return"
	// functionLabel labels the block wrapping a function's body, which
	// RETURN leaves.
	functionLabel = "guocedb_function"
)

// storedFunctions finds, compiles and runs stored functions, and answers
// the statements that define them (stored_functions.go).
type storedFunctions struct {
	provider   sql.DatabaseProvider
	privileges *mysql_db.MySQLDb
	// catalog builds RETURN expr bodies (stored_function_fast.go).
	catalog sql.Catalog
	// runner runs the statements of a body: the analyzer's, set once the
	// engine exists (before it serves).
	runner sql.StatementRunner
	// builtin are go-mysql-server's and guocedb's function names, which
	// win over a stored function of the same name, as in MySQL.
	builtin map[string]bool
}

// newStoredFunctions returns the stored functions of provider's
// databases; the runner and privileges are set by newEngine.
func newStoredFunctions(provider sql.DatabaseProvider) *storedFunctions {
	fs := &storedFunctions{provider: provider, builtin: map[string]bool{}}
	for _, f := range function.BuiltIns {
		fs.builtin[strings.ToLower(f.FunctionName())] = true
	}
	return fs
}

// function returns the stored function name of the session's current
// database as a go-mysql-server function, or false.
func (fs *storedFunctions) function(ctx *sql.Context, name string) (sql.Function, bool) {
	lower := strings.ToLower(name)
	if fs == nil || ctx == nil || fs.builtin[lower] {
		return nil, false
	}
	db := ctx.GetCurrentDatabase()
	if i := strings.IndexByte(name, '.'); i >= 0 { // withQualifiedFunctions
		db, name = name[:i], name[i+1:]
	}
	if db == "" {
		return nil, false
	}
	d, err := fs.provider.Database(ctx, db)
	if err != nil {
		return nil, false
	}
	fd, ok := d.(functionDB)
	if !ok {
		return nil, false
	}
	def, ok, err := fd.GetStoredFunction(ctx, name)
	if err != nil || !ok {
		return nil, false
	}
	dbName := d.Name()
	return sql.FunctionN{Name: def.Name, Fn: func(args ...sql.Expression) (sql.Expression, error) {
		if !fs.allowed(ctx, dbName, def.Name, sql.PrivilegeType_Execute) {
			return nil, denied(ctx, "execute", dbName, def.Name)
		}
		f, err := parseCreateFunction(versionedCode(def.CreateStatement))
		if err != nil {
			return nil, err
		}
		f.db = dbName
		opts := sql.NewSqlModeFromString(def.SQLMode).ParserOptions()
		cf, err := compileFunction(f, opts)
		if err != nil {
			return nil, err
		}
		if len(args) != len(cf.params) {
			return nil, mysql.NewSQLError(1318, "42000",
				"Incorrect number of arguments for FUNCTION %s.%s; expected %d, got %d", dbName, def.Name, len(cf.params), len(args))
		}
		// Building the body builds the calls in it: a function that
		// calls itself would build forever.
		building := "guocedb_building:" + strings.ToLower(dbName+"."+def.Name)
		mark := ctx.Session.NewStoredProcParam(building, &sql.StoredProcParam{Type: types.Boolean})
		if mark.Value == true {
			return nil, mysql.NewSQLError(1424, mysql.SSUnknownSQLState, "Recursive stored functions and triggers are not allowed.")
		}
		mark.Value = true
		defer func() { mark.Value = nil }()
		if rs, ok := ctx.Session.(interface{ SetRoutineDatabase(*string) *string }); ok {
			prev := rs.SetRoutineDatabase(&dbName)
			defer rs.SetRoutineDatabase(prev)
		}
		return &functionCall{fs: fs, fn: cf, args: args, fast: fs.buildFastReturn(ctx, cf, opts)}, nil
	}}, true
}

// withQualifiedFunctions names a call db.f(...) "db.f" in the AST: the
// plan builder drops a function's qualifier and looks the name up alone,
// so a stored function could only be called in the current database.
// storedFunctions.function splits the name again. Only statements whose
// text has a dot are walked.
func withQualifiedFunctions(query string, stmt ast.Statement) ast.Statement {
	if stmt == nil || strings.IndexByte(query, '.') < 0 {
		return stmt
	}
	_ = ast.Walk(func(node ast.SQLNode) (bool, error) {
		if f, ok := node.(*ast.FuncExpr); ok && !f.Qualifier.IsEmpty() {
			f.Name = ast.NewColIdent(f.Qualifier.String() + "." + f.Name.String())
			f.Qualifier = ast.TableIdent{}
		}
		return true, nil
	}, stmt)
	return stmt
}

// funcParam is a parameter of a stored function.
type funcParam struct {
	name string
	typ  sql.Type
}

// compiledFunction is a function ready to run. Its operations belong to
// one call site: the interpreter rewrites their AST as it runs them.
type compiledFunction struct {
	def    *functionDef
	params []funcParam
	ret    sql.Type
	ops    []*procedures.InterpreterOperation
	traits []ast.Characteristic
	// intos are the body's SELECT ... INTO statements, by identity.
	intos map[*ast.Select]*selectInto
}

// selectInto is a SELECT ... INTO of a body, or the SELECT the
// interpreter runs for a SET. go-mysql-server's interpreter clears the
// statement's INTO when it runs it (so a second run would be a result
// set), and it stores values in variables unconverted, then writes them
// back into statements with fmt verbs of the declared type (a SUM's
// DECIMAL in an INT variable, or 2 in a DECIMAL one, reads back as
// garbage): each call puts the INTO back, and the runner converts the
// row to the targets' types.
type selectInto struct {
	into    *ast.Into
	targets []sql.Type // nil for a user variable or an unknown name
}

// compileFunction checks f and turns it into interpreter operations:
// 1064 for what vitess' grammar refuses, 1320 for a body without RETURN,
// 1415 for a body that would return a result set.
func compileFunction(f *functionDef, opts ast.ParserOptions) (*compiledFunction, error) {
	proc := "CREATE PROCEDURE " + quoteIdent(f.name) + "(" + f.params + ") " + f.traits + " " + f.body
	stmt, err := ast.ParseWithOptions(context.Background(), proc, opts)
	if err != nil {
		return nil, asSyntaxError(err)
	}
	ddl, ok := stmt.(*ast.DDL)
	if !ok || ddl.ProcedureSpec == nil {
		return nil, fmt.Errorf("syntax error at position %d near '%s'", len(proc), lastWord(proc))
	}
	cf := &compiledFunction{def: f, traits: ddl.ProcedureSpec.Characteristics}
	for _, p := range ddl.ProcedureSpec.Params {
		if p.Direction != ast.ProcedureParamDirection_In {
			return nil, fmt.Errorf("syntax error at position %d near '%s'", len(proc), p.Name)
		}
		typ, err := types.ColumnTypeToType(&p.Type)
		if err != nil {
			return nil, err
		}
		cf.params = append(cf.params, funcParam{name: strings.ToLower(p.Name), typ: typ})
	}
	tbl, err := ast.ParseWithOptions(context.Background(), "CREATE TABLE t (c "+f.returns+")", opts)
	if err != nil {
		return nil, asSyntaxError(err)
	}
	if td, ok := tbl.(*ast.DDL); !ok || td.TableSpec == nil || len(td.TableSpec.Columns) != 1 {
		return nil, fmt.Errorf("syntax error at position %d near '%s'", len(f.returns), f.returns)
	} else if cf.ret, err = types.ColumnTypeToType(&td.TableSpec.Columns[0].Type); err != nil {
		return nil, err
	}
	returns := 0
	body := &ast.BeginEndBlock{Label: functionLabel, Statements: ast.Statements{rewriteReturns(ddl.ProcedureSpec.Body, &returns)}}
	if returns == 0 {
		return nil, mysql.NewSQLError(1320, "42000", "No RETURN found in FUNCTION %s.%s", f.db, f.name)
	}
	if cf.ops, err = procedures.Parse(body); err != nil {
		return nil, err
	}
	declared := map[string]sql.Type{returnVar: cf.ret}
	for _, p := range cf.params {
		declared[p.name] = p.typ
	}
	cf.intos = map[*ast.Select]*selectInto{}
	for _, op := range cf.ops {
		if d, ok := op.PrimaryData.(*ast.Declare); ok && d.Variables != nil {
			typ, err := types.ColumnTypeToType(&d.Variables.VarType)
			if err != nil {
				return nil, err
			}
			for _, n := range d.Variables.Names {
				declared[n.Lowered()] = typ
			}
		}
		sel, ok := op.PrimaryData.(*ast.Select)
		if !ok {
			continue
		}
		switch op.OpCode {
		case procedures.OpCode_Select:
			if sel.Into == nil {
				return nil, mysql.NewSQLError(1415, "0A000", "Not allowed to return a result set from a function")
			}
			si := &selectInto{into: sel.Into}
			for _, v := range sel.Into.Variables {
				si.targets = append(si.targets, storedType(declared[v.Lowered()]))
			}
			cf.intos[sel] = si
		case procedures.OpCode_Set:
			target := strings.ToLower(strings.Trim(op.Target, "`"))
			cf.intos[sel] = &selectInto{targets: []sql.Type{storedType(declared[target])}}
		}
	}
	return cf, nil
}

// storedType is the type a variable's value is converted to: the
// interpreter writes FLOAT variables back as float64 values only.
func storedType(typ sql.Type) sql.Type {
	if typ != nil && types.IsFloat(typ) {
		return types.Float64
	}
	return typ
}

// asSyntaxError is MySQL's 1064 for a vitess parse error, whose text
// starts with its own code line ("Code: INVALID_ARGUMENT").
func asSyntaxError(err error) error {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "\n"); ok && strings.HasPrefix(msg, "Code: ") {
		msg = rest
	}
	return mysql.NewSQLError(mysql.ERParseError, mysql.SSClientError, "%s", strings.TrimSpace(msg))
}

// rewriteReturns replaces every RETURN expr in s by SET guocedb_return =
// expr; LEAVE guocedb_function, counting them in n.
func rewriteReturns(s ast.Statement, n *int) ast.Statement {
	each := func(ss ast.Statements) {
		for i := range ss {
			ss[i] = rewriteReturns(ss[i], n)
		}
	}
	switch v := s.(type) {
	case *ast.Return:
		*n++
		return &ast.BeginEndBlock{Statements: ast.Statements{
			&ast.Set{Exprs: ast.SetVarExprs{&ast.SetVarExpr{Name: &ast.ColName{Name: ast.NewColIdent(returnVar)}, Expr: v.Expr}}},
			&ast.Leave{Label: functionLabel},
		}}
	case *ast.BeginEndBlock:
		each(v.Statements)
	case *ast.IfStatement:
		for i := range v.Conditions {
			each(v.Conditions[i].Statements)
		}
		each(v.Else)
	case *ast.CaseStatement:
		for i := range v.Cases {
			each(v.Cases[i].Statements)
		}
		each(v.Else)
	case *ast.Loop:
		each(v.Statements)
	case *ast.Repeat:
		each(v.Statements)
	case *ast.While:
		each(v.Statements)
	case *ast.Declare:
		if v.Handler != nil {
			v.Handler.Statement = rewriteReturns(v.Handler.Statement, n)
		}
	}
	return s
}

// functionCall is a call of a stored function in a statement.
type functionCall struct {
	fs   *storedFunctions
	fn   *compiledFunction
	args []sql.Expression
	// fast is the body built once, when it is a plain RETURN expr.
	fast *fastReturn
	// mu serializes runs: the interpreter rewrites the operations' AST.
	mu sync.Mutex
}

var (
	_ sql.Expression                 = (*functionCall)(nil)
	_ sql.NonDeterministicExpression = (*functionCall)(nil)
	_ procedures.InterpreterNode     = (*functionCall)(nil)
)

// Resolved implements sql.Expression.
func (c *functionCall) Resolved() bool {
	for _, a := range c.args {
		if !a.Resolved() {
			return false
		}
	}
	return true
}

// String implements sql.Expression.
func (c *functionCall) String() string {
	args := make([]string, len(c.args))
	for i, a := range c.args {
		args[i] = a.String()
	}
	return c.fn.def.name + "(" + strings.Join(args, ", ") + ")"
}

// Type implements sql.Expression.
func (c *functionCall) Type() sql.Type { return c.fn.ret }

// IsNullable implements sql.Expression.
func (c *functionCall) IsNullable() bool { return true }

// IsNonDeterministic implements sql.NonDeterministicExpression: a body
// can read tables and variables, so a call is never folded or cached.
func (c *functionCall) IsNonDeterministic() bool { return true }

// Children implements sql.Expression.
func (c *functionCall) Children() []sql.Expression { return c.args }

// WithChildren implements sql.Expression.
func (c *functionCall) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(c.args) {
		return nil, sql.ErrInvalidChildrenNumber.New(c, len(children), len(c.args))
	}
	return &functionCall{fs: c.fs, fn: c.fn, args: children, fast: c.fast}, nil
}

// GetAsOf implements procedures.InterpreterNode.
func (c *functionCall) GetAsOf() sql.Expression { return nil }

// GetRunner implements procedures.InterpreterNode.
func (c *functionCall) GetRunner() sql.StatementRunner {
	return interpretedRunner{inner: c.fs.runner, intos: c.fn.intos}
}

// GetStatements implements procedures.InterpreterNode.
func (c *functionCall) GetStatements() []*procedures.InterpreterOperation { return c.fn.ops }

// SetStatementRunner implements procedures.InterpreterNode; the runner
// is the server's.
func (c *functionCall) SetStatementRunner(*sql.Context, sql.StatementRunner) sql.Node { return nil }

// SetSchema implements procedures.InterpreterNode; a function has no
// result set.
func (c *functionCall) SetSchema(sql.Schema) {}

// savedParam is what a session's stored procedure parameter held before
// a call used its name.
type savedParam struct {
	p    *sql.StoredProcParam
	prev sql.StoredProcParam
}

// Eval implements sql.Expression: it runs the body with the arguments'
// values and returns the RETURN's value converted to the declared type.
func (c *functionCall) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	vals := make([]any, len(c.args))
	for i, a := range c.args {
		v, err := a.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if v, _, err = storedType(c.fn.params[i].typ).Convert(ctx, v); err != nil {
			return nil, err
		}
		vals[i] = v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fast != nil {
		if rs, ok := ctx.Session.(interface{ SetRoutineDatabase(*string) *string }); ok {
			db := c.fn.def.db
			prev := rs.SetRoutineDatabase(&db)
			defer rs.SetRoutineDatabase(prev)
		}
		c.fast.vals = vals
		v, err := c.fast.expr.Eval(ctx, nil)
		if err != nil {
			return nil, err
		}
		v, _, err = c.fn.ret.Convert(ctx, v)
		return v, err
	}

	var saved []savedParam
	set := func(name string, typ sql.Type, v any, isSet bool) {
		p := ctx.Session.NewStoredProcParam(name, &sql.StoredProcParam{Type: typ})
		saved = append(saved, savedParam{p: p, prev: *p})
		p.Type, p.Value, p.HasBeenSet = typ, v, isSet
	}
	defer func() {
		for i := len(saved) - 1; i >= 0; i-- {
			*saved[i].p = saved[i].prev
		}
	}()
	// A function's body cannot call it again (a new call site each
	// time, so the mark is the session's), as in MySQL.
	active := "guocedb_active:" + strings.ToLower(c.fn.def.db+"."+c.fn.def.name)
	if p := ctx.Session.GetStoredProcParam(active); p != nil && p.Value == true {
		return nil, mysql.NewSQLError(1424, mysql.SSUnknownSQLState, "Recursive stored functions and triggers are not allowed.")
	}
	set(active, types.Boolean, true, true)
	for i, p := range c.fn.params {
		set(p.name, p.typ, vals[i], true)
	}
	set(returnVar, c.fn.ret, nil, false)
	ret := ctx.Session.GetStoredProcParam(returnVar)

	// The body runs in the function's database, as in MySQL. Not by
	// SetCurrentDatabase: that replaces the session's logger, which
	// go-mysql-server's connection poller reads meanwhile (a data race).
	if rs, ok := ctx.Session.(interface{ SetRoutineDatabase(*string) *string }); ok {
		db := c.fn.def.db
		prev := rs.SetRoutineDatabase(&db)
		defer rs.SetRoutineDatabase(prev)
	}
	for sel, si := range c.fn.intos {
		sel.Into = si.into
	}
	iter, _, err := procedures.Call(ctx, c)
	if err != nil {
		return nil, err
	}
	for {
		if _, err := iter.Next(ctx); err != nil {
			if err != io.EOF {
				_ = iter.Close(ctx)
				return nil, err
			}
			break
		}
	}
	if err := iter.Close(ctx); err != nil {
		return nil, err
	}
	if !ret.HasBeenSet {
		return nil, mysql.NewSQLError(1321, "2F005", "FUNCTION %s ended without RETURN", c.fn.def.name)
	}
	v, _, err := c.fn.ret.Convert(ctx, ret.Value)
	return v, err
}

// interpretedRunner runs a function body's statements marked as
// interpreted: in the caller's transaction, without a commit after each.
// SELECT ... INTO of the body get their values converted to the targets'
// types (selectInto).
type interpretedRunner struct {
	inner sql.StatementRunner
	intos map[*ast.Select]*selectInto
}

// ran is what a runner returns.
type ran struct {
	sch   sql.Schema
	iter  sql.RowIter
	flags *sql.QueryFlags
}

// QueryWithBindings implements sql.StatementRunner.
func (r interpretedRunner) QueryWithBindings(ctx *sql.Context, query string, parsed ast.Statement, bindings map[string]ast.Expr, qFlags *sql.QueryFlags) (sql.Schema, sql.RowIter, *sql.QueryFlags, error) {
	if r.inner == nil {
		return nil, nil, nil, fmt.Errorf("stored functions: no statement runner")
	}
	out, err := sql.RunInterpreted(ctx, func(ctx *sql.Context) (ran, error) {
		sch, iter, flags, err := r.inner.QueryWithBindings(ctx, query, parsed, bindings, qFlags)
		return ran{sch, iter, flags}, err
	})
	if sel, ok := parsed.(*ast.Select); ok && err == nil && sel.Into == nil {
		if si := r.intos[sel]; si != nil {
			out.iter = &convertingIter{RowIter: out.iter, types: si.targets}
		}
	}
	return out.sch, out.iter, out.flags, err
}

// convertingIter converts the values of its rows to types (nil: as is).
type convertingIter struct {
	sql.RowIter
	types []sql.Type
}

// Next implements sql.RowIter.
func (it *convertingIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := it.RowIter.Next(ctx)
	if err != nil {
		return nil, err
	}
	for i, typ := range it.types {
		if typ == nil || i >= len(row) || row[i] == nil {
			continue
		}
		v, _, err := typ.Convert(ctx, row[i])
		if err != nil {
			return nil, err
		}
		row[i] = v
	}
	return row, nil
}
