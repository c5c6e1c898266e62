package mysqlserver

import (
	"context"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// Correction of go-mysql-server: OUT and INOUT parameters of a prepared
// CALL (CALL p(?, ?) with COM_STMT_PREPARE and COM_STMT_EXECUTE).
//
// Upstream: go-mysql-server binds every placeholder as a literal, so an
// OUT or INOUT parameter given as `?` is written nowhere and the client
// never learns its value.
//
// MySQL: after the procedure's result sets, the execute sends one more
// result set, one row of the OUT and INOUT parameters' values named after
// the parameters, flagged SERVER_PS_OUT_PARAMS (with
// SERVER_MORE_RESULTS_EXISTS), then the CALL's OK. The C API
// (mysql_stmt_next_result and SERVER_PS_OUT_PARAMS), Connector/J's
// CallableStatement and mysqlclient's callproc read the values from it.
//
// At COM_STMT_PREPARE guocedb replaces, in go-mysql-server's cached AST,
// each placeholder passed to an OUT or INOUT parameter by the user
// variable @__guocedb_out_vN (N the placeholder's number). At
// COM_STMT_EXECUTE it sets those variables (the bound value for INOUT,
// NULL for OUT), leaves their bindings out, runs the CALL, which writes
// them back, and sends their values as the OUT parameters' result set
// (withCallResultSets). The variables stay in the session, under a name
// no application uses. Delete this when go-mysql-server returns OUT
// parameters of prepared CALLs.

// serverPSOutParams is SERVER_PS_OUT_PARAMS.
const serverPSOutParams = 0x1000

// outParamVarPrefix names the user variables that carry OUT and INOUT
// parameters of a prepared CALL.
const outParamVarPrefix = "@__guocedb_out_"

// outParam is an OUT or INOUT parameter of a prepared CALL given as a
// placeholder.
type outParam struct {
	bindVar string // the placeholder's binding, "v2"
	name    string // the procedure's parameter name
	inout   bool
}

// procedureParams returns the parameters of procedure db.name (db empty:
// the session's current database), nil when there is none.
type procedureParams func(ctx *sql.Context, db, name string) []ast.ProcedureParam

// catalogProcedureParams is procedureParams over the engine's catalog.
func catalogProcedureParams(catalog sql.Catalog) procedureParams {
	return func(ctx *sql.Context, db, name string) []ast.ProcedureParam {
		if db == "" {
			db = ctx.GetCurrentDatabase()
		}
		d, err := catalog.Database(ctx, db)
		if err != nil {
			return nil
		}
		pd, ok := d.(sql.StoredProcedureDatabase)
		if !ok {
			return nil
		}
		details, ok, err := pd.GetStoredProcedure(ctx, name)
		if err != nil || !ok {
			return nil
		}
		stmt, err := ast.Parse(details.CreateStatement)
		if ddl, ok := stmt.(*ast.DDL); err == nil && ok && ddl.ProcedureSpec != nil {
			return ddl.ProcedureSpec.Params
		}
		return nil
	}
}

// sessionContext is a go-mysql-server context for c's session, nil
// before the session exists.
func sessionContext(ctx context.Context, c *mysql.Conn) *sql.Context {
	s := connSession(c)
	if s == nil {
		return nil
	}
	return sql.NewContext(ctx, sql.WithSession(s))
}

// prepareOutParams rewrites the cached AST of the prepared statement
// query of c when it is a CALL passing placeholders to OUT or INOUT
// parameters.
func (h *handler) prepareOutParams(ctx context.Context, c *mysql.Conn, query string) {
	if h.preparedStmt == nil || h.procParams == nil || h.cacheStmt == nil || !isCall(query) {
		return
	}
	stmt, ok := h.preparedStmt(c.ConnectionID, query)
	call, ok2 := stmt.(*ast.Call)
	sctx := sessionContext(ctx, c)
	if !ok || !ok2 || sctx == nil {
		return
	}
	params := h.procParams(sctx, call.ProcName.Qualifier.String(), call.ProcName.Name.String())
	if len(params) != len(call.Params) {
		return
	}
	rewritten := *call
	rewritten.Params = append([]ast.Expr(nil), call.Params...)
	changed := false
	for i, p := range params {
		v, ok := call.Params[i].(*ast.SQLVal)
		if p.Direction == "in" || !ok || v.Type != ast.ValArg || !strings.HasPrefix(string(v.Val), ":v") {
			continue
		}
		rewritten.Params[i] = &ast.ColName{Name: ast.NewColIdent(outParamVarPrefix + string(v.Val[1:]))}
		changed = true
	}
	if changed {
		h.cacheStmt(c.ConnectionID, query, &rewritten)
	}
}

// outParamsOf returns the OUT and INOUT parameters of the prepared CALL
// of c that prepareOutParams rewrote, in order.
func (h *handler) outParamsOf(ctx *sql.Context, c *mysql.Conn, query string) []outParam {
	if h.preparedStmt == nil || h.procParams == nil || ctx == nil || !isCall(query) {
		return nil
	}
	stmt, ok := h.preparedStmt(c.ConnectionID, query)
	call, ok2 := stmt.(*ast.Call)
	if !ok || !ok2 {
		return nil
	}
	var params []ast.ProcedureParam
	var out []outParam
	for i, e := range call.Params {
		col, ok := e.(*ast.ColName)
		if !ok || !strings.HasPrefix(col.Name.String(), outParamVarPrefix) {
			continue
		}
		if params == nil {
			if params = h.procParams(ctx, call.ProcName.Qualifier.String(), call.ProcName.Name.String()); len(params) != len(call.Params) {
				return nil
			}
		}
		out = append(out, outParam{
			bindVar: strings.TrimPrefix(col.Name.String(), outParamVarPrefix),
			name:    params[i].Name,
			inout:   params[i].Direction == "inout",
		})
	}
	return out
}

// bindOutParams sets the variables of outs from prepare's bindings and
// returns prepare without those bindings.
func bindOutParams(ctx *sql.Context, prepare *mysql.PrepareData, outs []outParam) (*mysql.PrepareData, error) {
	p := *prepare
	p.BindVars = make(map[string]*querypb.BindVariable, len(prepare.BindVars))
	for k, v := range prepare.BindVars {
		p.BindVars[k] = v
	}
	for _, o := range outs {
		var val any
		var typ sql.Type = types.LongText
		if bv, ok := p.BindVars[o.bindVar]; ok && o.inout {
			if v, err := sqltypes.BindVariableToValue(bv); err == nil && !v.IsNull() {
				val = v.ToString()
				if v.IsIntegral() {
					if n, err := strconv.ParseInt(v.ToString(), 10, 64); err == nil {
						val, typ = n, types.Int64
					}
				}
			}
		}
		delete(p.BindVars, o.bindVar)
		if err := ctx.SetUserVariable(ctx, outParamVarPrefix[1:]+o.bindVar, val, typ); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// outParamsResult is the result set of the values outs have after the
// CALL.
func outParamsResult(ctx *sql.Context, outs []outParam) (*sqltypes.Result, error) {
	res := &sqltypes.Result{Rows: [][]sqltypes.Value{nil}}
	for _, o := range outs {
		typ, val, err := ctx.GetUserVariable(ctx, outParamVarPrefix[1:]+o.bindVar)
		if err != nil {
			return nil, err
		}
		if typ == nil {
			typ = types.Null
		}
		v, err := typ.SQL(ctx, nil, val)
		if err != nil {
			return nil, err
		}
		charset := uint32(binaryCharset)
		if types.IsText(typ) {
			charset = uint32(sql.CharacterSet_utf8mb4)
		}
		res.Fields = append(res.Fields, &querypb.Field{Name: o.name, Type: typ.Type(), Charset: charset})
		res.Rows[0] = append(res.Rows[0], v)
	}
	return res, nil
}
