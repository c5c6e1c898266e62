package mysqlserver

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/guocedb/guocedb/internal/backend"
)

// Cached point lookups skip go-mysql-server's result spooling.
//
// go-mysql-server answers a statement that returns rows through
// resultForDefaultIter: an errgroup of three goroutines (rows, wire
// conversion, a poll of the socket's state), a channel of 512 rows and a
// timer, for every statement. It has a synchronous path for statements
// its analyzer marked as returning at most one row, but only for plans
// it analyzes in the same call: the flag is not kept with a plan, so a
// cached plan executed through ComExecuteBound always takes the
// goroutines (about 10% of the server's CPU under oltp_point_select).
//
// For a cached plan that reads at most one row (a point lookup on a
// unique index under nodes that cannot add rows), spoolPoint does what
// go-mysql-server's execute does around that synchronous path: a query
// context in the process list (SHOW PROCESSLIST, KILL QUERY), the
// session's command begin and end, the plan's transaction (committed by
// its iterator's Close, as there), the row converted by
// go-mysql-server's own RowToSQL under the column definitions its
// binder gave the plan, and the connection's status flags.
//
// A cached plan that only reads (readPlan: sysbench's range statements,
// with their sort, distinct and sum) runs the same way through
// spoolRows, its rows sent in batches of 128 as go-mysql-server sends
// them. What the goroutines gave that this does not: a poll of the
// socket that cancels the statement when the client goes away while it
// computes; here that is noticed at the next write (every 128 rows, or
// at the end), as MySQL notices it. KILL QUERY and the statement's
// context are checked before every row.

// pointPlan reports whether a cacheable plan returns at most one row: a
// single point lookup (uniquePoint), under
// nodes that never make more rows than they read.
func pointPlan(ctx *sql.Context, n sql.Node) bool {
	points, ok := 0, true
	transform.Inspect(n, func(n sql.Node) bool {
		switch n := n.(type) {
		case *plan.Project, *plan.Filter, *plan.TableAlias, *plan.Limit, *plan.Sort, *plan.TopN:
		case *plan.IndexedTableAccess:
			ok = uniquePoint(ctx, plan.GetIndexLookup(n))
			points++
		case nil:
		default:
			ok = false
		}
		return ok
	})
	return ok && points == 1
}

// uniquePoint reports whether a static lookup reads one key of a unique
// index: one range, with a closed [k, k] bound of a non-NULL k on every
// column of the index (NULLs are not unique).
func uniquePoint(ctx *sql.Context, l sql.IndexLookup) bool {
	if l.Index == nil || !l.Index.IsUnique() || l.Ranges == nil || l.Ranges.Len() != 1 {
		return false
	}
	ranges, ok := l.Ranges.(sql.MySQLRangeCollection)
	if !ok || len(ranges[0]) != len(l.Index.Expressions()) {
		return false
	}
	for _, ce := range ranges[0] {
		lo, okLo := ce.LowerBound.(sql.Below)
		hi, okHi := ce.UpperBound.(sql.Above)
		if !okLo || !okHi || lo.Key == nil || hi.Key == nil {
			return false
		}
		if cmp, err := ce.Typ.Compare(ctx, lo.Key, hi.Key); err != nil || cmp != 0 {
			return false
		}
	}
	return true
}

// readPlan reports whether a cacheable plan only reads tables (no
// writes, no transaction statements): its rows can be spooled without
// go-mysql-server's goroutines (spoolRows).
func readPlan(n sql.Node) bool {
	ok, tables := true, 0
	transform.Inspect(n, func(n sql.Node) bool {
		switch n.(type) {
		case *plan.Project, *plan.Filter, *plan.Limit, *plan.Offset, *plan.Sort, *plan.TopN,
			*plan.GroupBy, *plan.Distinct, *plan.OrderedDistinct, *plan.TableAlias:
		case *plan.ResolvedTable, *plan.IndexedTableAccess:
			tables++
		case nil:
		default:
			ok = false
		}
		return ok
	})
	return ok && tables > 0
}

// spoolPids numbers the queries spoolPoint runs, far above the session
// manager's own numbering, so that the process list never sees one
// query's end as another's.
var spoolPids atomic.Uint64

func init() { spoolPids.Store(1 << 62) }

// spoolPoint executes a cached plan for which pointPlan holds.
func (h *handler) spoolPoint(ctx context.Context, c *mysql.Conn, s *backend.Session, query string, p sql.Node, fields []*querypb.Field, send mysql.ResultSpoolFn) error {
	return h.spool(ctx, c, s, query, p, fields, true, send)
}

// spoolRows executes a cached plan for which readPlan holds.
func (h *handler) spoolRows(ctx context.Context, c *mysql.Conn, s *backend.Session, query string, p sql.Node, fields []*querypb.Field, send mysql.ResultSpoolFn) error {
	return h.spool(ctx, c, s, query, p, fields, false, send)
}

// beginSpooled starts a cached statement run in this goroutine, as
// go-mysql-server's handler does: a context in the process list and the
// session's command begun; end undoes both.
func (h *handler) beginSpooled(ctx context.Context, s *backend.Session, query string) (_ *sql.Context, end func(), err error) {
	sctx := sql.NewContext(ctx,
		sql.WithSession(s),
		sql.WithPid(spoolPids.Add(1)),
		sql.WithQuery(query),
		sql.WithMemoryManager(h.engine.MemoryManager),
		sql.WithProcessList(h.engine.ProcessList),
	)
	sctx, err = sctx.ProcessList.BeginQuery(sctx, query)
	if err != nil {
		return nil, nil, err
	}
	if err := sql.SessionCommandBegin(s); err != nil {
		sctx.ProcessList.EndQuery(sctx)
		return nil, nil, err
	}
	return sctx, func() {
		sql.SessionCommandEnd(s)
		sctx.ProcessList.EndQuery(sctx)
	}, nil
}

// spool runs a cached read in this goroutine: one row at most (point),
// or every row, sent in batches.
func (h *handler) spool(ctx context.Context, c *mysql.Conn, s *backend.Session, query string, p sql.Node, fields []*querypb.Field, point bool, send mysql.ResultSpoolFn) (err error) {
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

	schema, iter, _, err := h.engine.PrepQueryPlanForExecution(sctx, query, p, nil)
	if err != nil {
		return err
	}
	buf := sql.ByteBufPool.Get().(*sql.ByteBuffer)
	defer func() {
		buf.Reset()
		sql.ByteBufPool.Put(buf)
	}()
	var res *sqltypes.Result
	sent := false
	if point {
		res, err = onePointRow(sctx, schema, iter, fields, buf)
	} else {
		res, sent, err = allRows(sctx, schema, iter, fields, buf, send)
	}
	if err != nil {
		return err
	}
	if err := setStatusFlags(sctx, c); err != nil {
		return err
	}
	if sent && len(res.Rows) == 0 {
		// The column definitions went with the first batch.
		return nil
	}
	return send(res, false)
}

// spoolBatch is how many rows go to the wire at a time, as
// go-mysql-server's rowsBatch.
const spoolBatch = 128

// allRows reads a plan's rows, sending every full batch, and closes the
// iterator (which ends an autocommit statement's transaction); it
// returns the last, partial batch, and whether a batch went out before.
func allRows(ctx *sql.Context, schema sql.Schema, iter sql.RowIter, fields []*querypb.Field, buf *sql.ByteBuffer, send mysql.ResultSpoolFn) (res *sqltypes.Result, sent bool, err error) {
	defer func() {
		if cerr := iter.Close(ctx); err == nil && cerr != nil {
			res, err = nil, cerr
		}
	}()
	done := ctx.Done()
	res = &sqltypes.Result{Fields: fields}
	for {
		select {
		case <-done:
			return nil, sent, context.Cause(ctx)
		default:
		}
		row, err := iter.Next(ctx)
		if err == io.EOF {
			return res, sent, nil
		}
		if err != nil {
			return nil, sent, err
		}
		out, err := server.RowToSQL(ctx, schema, row, nil, buf)
		if err != nil {
			return nil, sent, err
		}
		res.Rows = append(res.Rows, out)
		res.RowsAffected++
		if len(res.Rows) == spoolBatch {
			if err := send(res, false); err != nil {
				return nil, sent, err
			}
			sent = true
			res = &sqltypes.Result{Fields: fields}
		}
	}
}

// onePointRow reads the row (or none) of a point plan's iterator and
// closes it, which ends an autocommit statement's transaction.
func onePointRow(ctx *sql.Context, schema sql.Schema, iter sql.RowIter, fields []*querypb.Field, buf *sql.ByteBuffer) (res *sqltypes.Result, err error) {
	defer func() {
		if cerr := iter.Close(ctx); err == nil && cerr != nil {
			res, err = nil, cerr
		}
	}()
	row, err := iter.Next(ctx)
	if err == io.EOF {
		return &sqltypes.Result{Fields: fields}, nil
	}
	if err != nil {
		return nil, err
	}
	if _, err := iter.Next(ctx); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("point lookup returned more than one row")
		}
		return nil, err
	}
	out, err := server.RowToSQL(ctx, schema, row, nil, buf)
	if err != nil {
		return nil, err
	}
	return &sqltypes.Result{Fields: fields, Rows: [][]sqltypes.Value{out}, RowsAffected: 1}, nil
}

// setStatusFlags sets the autocommit and in-transaction flags of the
// connection's next OK or EOF packet from the session, as
// go-mysql-server's execute does.
func setStatusFlags(ctx *sql.Context, c *mysql.Conn) error {
	v, err := ctx.GetSessionVariable(ctx, sql.AutoCommitSessionVar)
	if err != nil {
		return err
	}
	autocommit, err := sql.ConvertToBool(ctx, v)
	if err != nil {
		return err
	}
	if autocommit {
		c.StatusFlags |= uint16(mysql.ServerStatusAutocommit)
	} else {
		c.StatusFlags &^= uint16(mysql.ServerStatusAutocommit)
	}
	if ctx.GetTransaction() != nil {
		c.StatusFlags |= uint16(mysql.ServerInTransaction)
	} else {
		c.StatusFlags &^= uint16(mysql.ServerInTransaction)
	}
	return nil
}

// copyFields copies cached column definitions for one result: the
// result's callbacks adjust them in place (fixFields, the wire charset).
func copyFields(fields []*querypb.Field) []*querypb.Field {
	out := make([]*querypb.Field, len(fields))
	for i, f := range fields {
		out[i] = &querypb.Field{
			Name: f.Name, Type: f.Type, Table: f.Table, OrgTable: f.OrgTable, Database: f.Database,
			OrgName: f.OrgName, ColumnLength: f.ColumnLength, Charset: f.Charset, Decimals: f.Decimals, Flags: f.Flags,
		}
	}
	return out
}
