package mysqlserver

import (
	"container/list"
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/mysql_db"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/metrics"
)

// DefaultPlanCacheSize is how many analyzed plans each connection keeps
// (config key plan-cache-size).
const DefaultPlanCacheSize = 256

// planCache keeps, per connection, the analyzed plan of each prepared
// statement, so that COM_STMT_EXECUTE skips go-mysql-server's binder and
// analyzer (about 90% of a primary key lookup's engine time).
//
// go-mysql-server binds the parameter values into the plan before it
// analyzes it (DESIGN.md, "Plan cache"), so a cached plan holds the
// values of the execution it was analyzed for. Another execution gets a
// copy with its own values put where the old ones were: in literals and
// in the ranges of static index lookups. That is only right for plans
// whose shape does not depend on the values, so:
//   - only plans made of a small set of node kinds are kept (cacheable);
//   - the values' literal types are part of the key (go-mysql-server
//     types an integer literal by its magnitude);
//   - before a plan is reused with another value in a position, the
//     substituted copy must once have printed exactly as the analyzer's
//     own plan for values that differed there (checked); a statement
//     that fails that a few times is never cached again.
//
// A plan is valid for one catalog generation (any DDL moves it), one
// privilege generation (GRANT, REVOKE, CREATE USER, ...: privileges are
// checked during analysis), the session settings analysis depends on,
// whether this node takes writes, and a session without temporary
// tables (one may hide a table of the same name).
type planCache struct {
	size     int
	metrics  *metrics.SQL
	catalog  func() uint64
	grants   func(*sql.Context) uint64
	writable func() bool

	mu    sync.Mutex
	conns map[uint32]*connPlans
}

// connPlans are one connection's plans, most recently used first.
type connPlans struct {
	session *backend.Session
	byQuery map[string]*list.Element
	lru     list.List
}

type planEntry struct {
	query string
	// key is the validity key the plan was analyzed under.
	key string
	// plan was analyzed for the values in bound.
	plan  sql.Node
	bound []boundValue
	// checked[i]: a copy with another value in position i printed as
	// the analyzer's plan for that value.
	checked []bool
	// dead: it did not, or no plan could be kept; the statement is
	// always analyzed (until the key changes).
	dead bool
	// tries counts executions that could not make a plan to keep.
	tries int
	// point: the plan reads at most one row (pointPlan); rows: it only
	// reads (readPlan); fields are its column definitions, for
	// spoolPoint and spoolRows.
	point  bool
	rows   bool
	fields []*querypb.Field
	// insert: the plan is a single-row insert that spoolInsert runs
	// with each execution's values (reuse then returns the kept plan
	// unchanged: only spoolInsert may run it).
	insert *insertPlan
	// stmt is a text statement's syntax tree (the database, aliases
	// and row locking of each execution come from it).
	stmt ast.Statement
}

// maxPlanTries is how many executions may fail to make a plan to keep
// (two parameters with one value, ...) before the statement is left to
// the analyzer.
const maxPlanTries = 3

// boundValue is a parameter value as go-mysql-server's binder types it:
// an integer in the smallest of int8, uint8, ... uint64 that holds it, a
// float64, or a string.
type boundValue struct {
	class byte
	v     any
}

func newPlanCache(size int, m *metrics.SQL, catalog func() uint64, grants func(*sql.Context) uint64, writable func() bool) *planCache {
	if size <= 0 {
		return nil
	}
	return &planCache{size: size, metrics: m, catalog: catalog, grants: grants, writable: writable, conns: make(map[uint32]*connPlans)}
}

// forget drops a connection's plans (closed, or reset).
func (pc *planCache) forget(connID uint32) {
	if pc == nil {
		return
	}
	pc.mu.Lock()
	delete(pc.conns, connID)
	pc.mu.Unlock()
}

// entry returns the connection's entry for query, creating it; nil when
// the session changed (COM_CHANGE_USER, COM_RESET_CONNECTION) after the
// plans were made: they are dropped.
func (pc *planCache) entry(connID uint32, s *backend.Session, query string) *planEntry {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	cp := pc.conns[connID]
	if cp == nil || cp.session != s {
		cp = &connPlans{session: s, byQuery: make(map[string]*list.Element)}
		pc.conns[connID] = cp
	}
	if el, ok := cp.byQuery[query]; ok {
		cp.lru.MoveToFront(el)
		return el.Value.(*planEntry)
	}
	e := &planEntry{query: query}
	cp.byQuery[query] = cp.lru.PushFront(e)
	for cp.lru.Len() > pc.size {
		last := cp.lru.Back()
		cp.lru.Remove(last)
		delete(cp.byQuery, last.Value.(*planEntry).query)
		pc.metrics.PlanCacheEviction()
	}
	return e
}

// grantsGeneration returns the generation of the accounts and grants
// that the session's privileges were last computed at, refreshing them
// first: go-mysql-server moves it on every change (GRANT, REVOKE, CREATE
// USER, a replicated reload) and keeps it with the session's privileges.
func grantsGeneration(db *mysql_db.MySQLDb) func(*sql.Context) uint64 {
	return func(ctx *sql.Context) uint64 {
		db.UserActivePrivilegeSet(ctx)
		_, n := ctx.Session.GetPrivilegeSet()
		return n
	}
}

// planSessionVars are the session settings a plan may depend on: name
// resolution, literal collation and conversion, limits, the foreign key
// and unique checks planned into writes, and the isolation level.
var planSessionVars = []string{
	"sql_mode", "collation_connection", "character_set_client", "character_set_results", "time_zone",
	"transaction_isolation", "sql_select_limit", "foreign_key_checks", "unique_checks",
	"div_precision_increment", "optimizer_switch", "sql_auto_is_null", "lc_time_names",
}

// key is the validity key of a plan for this execution.
func (pc *planCache) key(ctx *sql.Context, vals []boundValue) (string, bool) {
	var b strings.Builder
	b.Grow(256)
	b.WriteString(strconv.FormatUint(pc.catalog(), 10))
	b.WriteByte('/')
	b.WriteString(strconv.FormatUint(pc.grants(ctx), 10))
	b.WriteByte('/')
	if pc.writable() {
		b.WriteByte('w')
	}
	b.WriteByte('/')
	b.WriteString(ctx.GetCurrentDatabase())
	b.WriteByte(0)
	client := ctx.Session.Client()
	b.WriteString(client.User)
	b.WriteByte('@')
	b.WriteString(client.Address)
	if sv := sessionVarsOf(ctx); sv != nil {
		if !sv.planKeyOK {
			return "", false
		}
		b.WriteString(sv.planKey)
	} else {
		vars, ok := planVarsKey(ctx)
		if !ok {
			return "", false
		}
		b.WriteString(vars)
	}
	return b.String(), true
}

// classes is the literal types of the values: a statement has one entry
// per combination (go-mysql-server plans id = 5 and id = 500 with a
// TINYINT and a SMALLINT literal).
func classes(vals []boundValue) string {
	b := make([]byte, len(vals))
	for i, v := range vals {
		b[i] = v.class
	}
	return string(b)
}

// boundValues types the parameters as go-mysql-server's binder will
// (vitess ExprFromValue, then planbuilder's literal conversion); false
// for a value the cache leaves alone (NULL, DECIMAL, ...).
func boundValues(bindVars map[string]*querypb.BindVariable) ([]boundValue, bool) {
	names := make([]string, 0, len(bindVars))
	for name := range bindVars {
		names = append(names, name)
	}
	// v1, v2, ... v10: by number.
	sort.Slice(names, func(i, j int) bool {
		if len(names[i]) != len(names[j]) {
			return len(names[i]) < len(names[j])
		}
		return names[i] < names[j]
	})
	out := make([]boundValue, len(names))
	for i, name := range names {
		if name != "v"+strconv.Itoa(i+1) {
			return nil, false
		}
		val, err := sqltypes.BindVariableToValue(bindVars[name])
		if err != nil {
			return nil, false
		}
		bv, ok := boundValueOf(val)
		if !ok {
			return nil, false
		}
		out[i] = bv
	}
	return out, true
}

func boundValueOf(val sqltypes.Value) (boundValue, bool) {
	switch {
	case val.IsNull():
		return boundValue{}, false
	case val.IsIntegral():
		return intLiteral(val.ToString())
	case val.IsFloat():
		f, err := strconv.ParseFloat(val.ToString(), 64)
		if err != nil {
			return boundValue{}, false
		}
		if f == 0 {
			// go-mysql-server plans an AUTO_INCREMENT value of 0 apart
			// (analyzer/inserts.go: LAST_INSERT_ID is set only for a
			// generated value), and prints no sign of it in the plan:
			// zero has an entry of its own.
			return boundValue{class: 'z', v: f}, true
		}
		return boundValue{class: 'f', v: f}, true
	case val.Type() == sqltypes.Decimal:
		return boundValue{}, false
	case val.IsQuoted():
		return boundValue{class: 's', v: string(val.ToBytes())}, true
	}
	return boundValue{}, false
}

// intLiteral types an integer as planbuilder's convertInt does: the first
// of int8, uint8, int16, uint16, int32, uint32, int64, uint64 that holds
// it.
func intLiteral(s string) (boundValue, bool) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case v == 0:
			// An AUTO_INCREMENT value of 0 is planned apart (see the
			// float case of boundValueOf): int8, with an entry of its own.
			return boundValue{class: '0', v: int8(0)}, true
		case v >= math.MinInt8 && v <= math.MaxInt8:
			return boundValue{class: '1', v: int8(v)}, true
		case v >= 0 && v <= math.MaxUint8:
			return boundValue{class: '2', v: uint8(v)}, true
		case v >= math.MinInt16 && v <= math.MaxInt16:
			return boundValue{class: '3', v: int16(v)}, true
		case v >= 0 && v <= math.MaxUint16:
			return boundValue{class: '4', v: uint16(v)}, true
		case v >= math.MinInt32 && v <= math.MaxInt32:
			return boundValue{class: '5', v: int32(v)}, true
		case v >= 0 && v <= math.MaxUint32:
			return boundValue{class: '6', v: uint32(v)}, true
		}
		return boundValue{class: '7', v: v}, true
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return boundValue{class: '8', v: u}, true
	}
	return boundValue{}, false
}

// cacheableStatement: the kinds of statement whose plans may be kept.
func cacheableStatement(stmt ast.Statement) bool {
	switch s := stmt.(type) {
	case *ast.Select:
		return s.Into == nil
	case *ast.Insert, *ast.Update, *ast.Delete:
		return true
	case *ast.Begin, *ast.Commit, *ast.Rollback:
		// No values, and their plans hold no state: sysbench and
		// drivers send them as prepared statements.
		return true
	}
	return false
}

// cacheablePlan reports whether an analyzed plan is made only of node
// kinds whose shape does not depend on the values, and of no expression
// evaluated against other state (subqueries) or left unbound.
func cacheablePlan(n sql.Node) bool {
	ok := true
	transform.Inspect(n, func(n sql.Node) bool {
		switch n := n.(type) {
		case *plan.Project, *plan.Filter, *plan.Limit, *plan.Offset, *plan.Sort, *plan.TopN,
			*plan.GroupBy, *plan.Distinct, *plan.OrderedDistinct, *plan.ResolvedTable, *plan.TableAlias,
			*plan.InsertDestination, *plan.Values, *plan.Update, *plan.UpdateSource, *plan.DeleteFrom,
			*plan.StartTransaction, *plan.Commit, *plan.Rollback:
		case *plan.InsertInto:
			// The source is not a child (go-mysql-server analyzes it apart).
			ok = cacheablePlan(n.Source)
		case *plan.IndexedTableAccess:
			l := plan.GetIndexLookup(n)
			if !n.IsStatic() || l.IsEmptyRange || l.IsSpatialLookup || l.VectorOrderAndLimit.OrderBy != nil {
				ok = false
			} else if _, isMySQL := l.Ranges.(sql.MySQLRangeCollection); !isMySQL {
				ok = false
			}
		case nil:
		default:
			ok = false
		}
		if ne, isExpr := n.(sql.Expressioner); ok && isExpr {
			for _, e := range ne.Expressions() {
				transform.InspectExpr(e, func(e sql.Expression) bool {
					switch e.(type) {
					case *plan.Subquery, *expression.BindVar:
						ok = false
					}
					return !ok
				})
			}
		}
		return ok
	})
	return ok
}

// errNotSubstitutable ends a substitution that cannot be done for these
// values (ambiguous or out of range): the execution is analyzed instead.
var errNotSubstitutable = fmt.Errorf("plan cache: values not substitutable")

// substitute returns a copy of n, analyzed for the values old, with the
// values in vals. found[i] says whether old[i] was found anywhere.
func substitute(ctx *sql.Context, n sql.Node, old, vals []boundValue) (sql.Node, []bool, error) {
	found := make([]bool, len(old))
	match := func(v any, numeric bool) (int, error) {
		at := -1
		for i, o := range old {
			if !sameValue(v, o, numeric) {
				continue
			}
			if at >= 0 {
				return -1, errNotSubstitutable // two parameters had this value
			}
			at = i
		}
		if at >= 0 {
			found[at] = true
		}
		return at, nil
	}
	var walk func(n sql.Node) (sql.Node, error)
	walk = func(n sql.Node) (sql.Node, error) {
		out, _, err := transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
			if ita, ok := n.(*plan.IndexedTableAccess); ok {
				return substituteLookup(ctx, ita, vals, match)
			}
			same := transform.SameTree
			if ii, ok := n.(*plan.InsertInto); ok {
				// Not a child: go-mysql-server analyzes it apart.
				src, err := walk(ii.Source)
				if err != nil {
					return nil, transform.SameTree, err
				}
				n, same = ii.WithSource(src), transform.NewTree
			}
			ne, ok := n.(sql.Expressioner)
			if !ok {
				return n, same, nil
			}
			exprs := ne.Expressions()
			changed := false
			next := make([]sql.Expression, len(exprs))
			for i, e := range exprs {
				ne, same, err := transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
					lit, ok := e.(*expression.Literal)
					if !ok {
						return e, transform.SameTree, nil
					}
					at, err := match(lit.Value(), false)
					if err != nil || at < 0 {
						return e, transform.SameTree, err
					}
					return expression.NewLiteral(vals[at].v, lit.Type()), transform.NewTree, nil
				})
				if err != nil {
					return nil, transform.SameTree, err
				}
				changed = changed || same == transform.NewTree
				next[i] = ne
			}
			if !changed {
				return n, same, nil
			}
			nn, err := ne.WithExpressions(next...)
			return nn, transform.NewTree, err
		})
		return out, err
	}
	out, err := walk(n)
	return out, found, err
}

// substituteLookup puts the new values into the bounds of a static index
// lookup, converted to the column type as go-mysql-server's index
// builder does, keeping the table (its projection and flags).
func substituteLookup(ctx *sql.Context, ita *plan.IndexedTableAccess, vals []boundValue, match func(any, bool) (int, error)) (sql.Node, transform.TreeIdentity, error) {
	l := plan.GetIndexLookup(ita)
	ranges := l.Ranges.(sql.MySQLRangeCollection)
	next := make(sql.MySQLRangeCollection, len(ranges))
	changed := false
	cut := func(c sql.MySQLRangeCut, typ sql.Type) (sql.MySQLRangeCut, error) {
		var key any
		switch c := c.(type) {
		case sql.Below:
			key = c.Key
		case sql.Above:
			key = c.Key
		default:
			return c, nil
		}
		at, err := match(key, true)
		if err != nil || at < 0 {
			return c, err
		}
		v, inRange, err := typ.Convert(ctx, vals[at].v)
		if err != nil || inRange != sql.InRange {
			return nil, errNotSubstitutable
		}
		changed = true
		if _, ok := c.(sql.Below); ok {
			return sql.Below{Key: v}, nil
		}
		return sql.Above{Key: v}, nil
	}
	for i, r := range ranges {
		nr := make(sql.MySQLRange, len(r))
		for j, ce := range r {
			lo, err := cut(ce.LowerBound, ce.Typ)
			if err != nil {
				return nil, transform.SameTree, err
			}
			hi, err := cut(ce.UpperBound, ce.Typ)
			if err != nil {
				return nil, transform.SameTree, err
			}
			nr[j] = sql.MySQLRangeColumnExpr{LowerBound: lo, UpperBound: hi, Typ: ce.Typ}
		}
		next[i] = nr
	}
	if !changed {
		return ita, transform.SameTree, nil
	}
	l.Ranges = next
	nita, err := plan.NewStaticIndexedAccessForTableNode(ctx, ita.TableNode, l)
	if err != nil {
		return nil, transform.SameTree, errNotSubstitutable
	}
	// The table keeps its projection and flags; its lookup is the node's.
	withTable, err := nita.WithTable(ita.Table)
	return withTable, transform.NewTree, err
}

// sameValue: v (a literal's value, or with numeric an index bound
// converted to its column type) is the parameter o.
func sameValue(v any, o boundValue, numeric bool) bool {
	switch o.class {
	case 's':
		s, ok := v.(string)
		return ok && s == o.v.(string)
	case 'f', 'z':
		f, ok := v.(float64)
		return ok && f == o.v.(float64)
	}
	if !numeric {
		return v == o.v
	}
	vn, vm, vok := integerParts(v)
	on, om, ook := integerParts(o.v)
	return vok && ook && vn == on && vm == om
}

// integerParts splits a Go integer into its sign and magnitude, so that
// integers of different types compare by value without formatting them
// (this runs for every bound of every cached execution).
func integerParts(v any) (neg bool, mag uint64, ok bool) {
	signed := func(i int64) (bool, uint64, bool) {
		if i < 0 {
			return true, uint64(-(i + 1)) + 1, true
		}
		return false, uint64(i), true
	}
	switch x := v.(type) {
	case int8:
		return signed(int64(x))
	case int16:
		return signed(int64(x))
	case int32:
		return signed(int64(x))
	case int64:
		return signed(x)
	case int:
		return signed(int64(x))
	case uint8:
		return false, uint64(x), true
	case uint16:
		return false, uint64(x), true
	case uint32:
		return false, uint64(x), true
	case uint64:
		return false, x, true
	case uint:
		return false, uint64(x), true
	}
	return false, 0, false
}

// reuse returns the entry's plan with vals put in, when every value that
// differs from the plan's own is in a checked position; false when the
// execution must be analyzed.
func (e *planEntry) reuse(ctx *sql.Context, vals []boundValue) (sql.Node, bool, error) {
	if e.plan == nil {
		return nil, false, nil
	}
	same := true
	for i := range vals {
		if vals[i] != e.bound[i] {
			if !e.checked[i] {
				return nil, false, nil
			}
			same = false
		}
	}
	if same || e.insert != nil {
		// The very values it was analyzed for, or an insert whose
		// values spoolInsert puts in.
		return e.plan, true, nil
	}
	p, _, err := substitute(ctx, e.plan, e.bound, vals)
	return p, err == nil, err
}

// executePrepared runs one COM_STMT_EXECUTE, through the plan cache when
// the statement and its values allow it.
func (h *handler) executePrepared(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, send mysql.ResultSpoolFn) error {
	full := func() error {
		return h.Handler.ComStmtExecute(ctx, c, prepare, func(res *sqltypes.Result) error { return send(res, false) })
	}
	pc := h.plans
	gms, ok := h.Handler.(*server.Handler)
	s := connSession(c)
	if pc == nil || !ok || s == nil || s.HasTempTables() || h.preparedStmt == nil {
		return full()
	}
	query := prepare.PrepareStmt
	stmt, ok := h.preparedStmt(c.ConnectionID, query)
	if !ok || !cacheableStatement(stmt) {
		return full()
	}
	vals, ok := boundValues(prepare.BindVars)
	if !ok {
		return full()
	}
	sctx := sql.NewContext(ctx, sql.WithSession(s))
	e, p, ok := pc.lookup(sctx, c.ConnectionID, s, query, vals)
	if !ok {
		return full()
	}
	if p != nil {
		return h.executeCached(ctx, c, gms, s, query, e, p, vals, send)
	}
	// Analyze, as go-mysql-server's execute would, but keep the plan.
	pc.metrics.PlanCacheMiss()
	s.ClearWarnings()
	analyzed, fields, err := gms.ComBind(ctx, c, query, stmt, prepare)
	if err != nil {
		return sql.CastSQLError(err)
	}
	// Binding ended a command of its own, which ends the statement's
	// database and row locking (backend.Session.CommandEnd): the
	// execution is the statement's too.
	h.noteExecuteDatabase(c, prepare)
	p = analyzed.(sql.Node)
	h.keepPlan(sctx, e, p, vals, fields)
	return h.executeBound(ctx, c, gms, s, query, p, send)
}

// lookup finds the entry of statement id (its text, or a text
// statement's shape) for an execution with vals: with a plan to run (a
// hit, counted, the session's warnings cleared), or without one (the
// execution is analyzed, and keepPlan learns from it); ok is false when
// the execution is left to go-mysql-server.
func (pc *planCache) lookup(ctx *sql.Context, connID uint32, s *backend.Session, id string, vals []boundValue) (*planEntry, sql.Node, bool) {
	key, ok := pc.key(ctx, vals)
	if !ok {
		return nil, nil, false
	}
	id += "\x00" + classes(vals)
	e := pc.entry(connID, s, id)
	if e.key != key {
		*e = planEntry{query: id, key: key}
	}
	if e.dead {
		return nil, nil, false
	}
	p, hit, err := e.reuse(ctx, vals)
	if err != nil {
		return nil, nil, false
	}
	if hit {
		pc.metrics.PlanCacheHit()
		s.ClearWarnings()
	}
	return e, p, true
}

// keepPlan learns from an analyzed execution: the first one's plan is
// kept if it is cacheable and every value was found in it; a later one
// with other values in positions not yet checked checks them: putting
// its values into the kept plan must give the analyzer's plan, or the
// entry starts again from this plan.
func (h *handler) keepPlan(ctx *sql.Context, e *planEntry, p sql.Node, vals []boundValue, fields []*querypb.Field) {
	if e.plan == nil {
		if !cacheablePlan(p) {
			e.dead = true
		} else if _, found, err := substitute(ctx, p, vals, vals); err == nil && allTrue(found) {
			e.plan, e.bound, e.checked = p, vals, make([]bool, len(vals))
			e.point, e.rows, e.fields = pointPlan(ctx, p), readPlan(p), fields
			if h.engine != nil && !h.noFastInsert.Load() {
				e.insert = fastInsertOf(ctx, p, vals, h.engine.Analyzer.ExecBuilder)
			}
		} else if e.tries++; e.tries >= maxPlanTries {
			e.dead = true
		}
		return
	}
	var differ []int
	unchecked := false
	for i := range vals {
		if vals[i] != e.bound[i] {
			differ = append(differ, i)
			unchecked = unchecked || !e.checked[i]
		}
	}
	if !unchecked {
		return
	}
	sub, _, err := substitute(ctx, e.plan, e.bound, vals)
	if err == nil && sql.DebugString(sub) == sql.DebugString(p) {
		for _, i := range differ {
			e.checked[i] = true
		}
		return
	}
	// A constant of the statement had a parameter's value (k + 1 with
	// id = 1) and was taken for it: start again from this execution's
	// plan.
	e.plan, e.bound, e.checked, e.insert = nil, nil, nil, nil
	if e.tries++; e.tries >= maxPlanTries {
		e.dead = true
	}
}

// executeBound runs an analyzed plan through go-mysql-server's handler
// (process list, result spooling, status flags), doing first what its
// execute path does around analysis.
func (h *handler) executeBound(ctx context.Context, c *mysql.Conn, gms *server.Handler, s *backend.Session, query string, p sql.Node, send mysql.ResultSpoolFn) error {
	h.countQuestion(ctx, s, p)
	return gms.ComExecuteBound(ctx, c, query, p, send)
}

// executeCached runs a plan from the cache, with the values vals: a
// single-row insert through spoolInsert, a point lookup through
// spoolPoint, another read through spoolRows, any other through
// go-mysql-server.
func (h *handler) executeCached(ctx context.Context, c *mysql.Conn, gms *server.Handler, s *backend.Session, query string, e *planEntry, p sql.Node, vals []boundValue, send mysql.ResultSpoolFn) error {
	if e.insert != nil {
		h.countQuestion(ctx, s, p)
		h.fastInserts.Add(1)
		return h.spoolInsert(ctx, c, s, query, e.insert, vals, send)
	}
	if !(e.point || e.rows) || e.fields == nil || h.engine == nil {
		return h.executeBound(ctx, c, gms, s, query, p, send)
	}
	h.countQuestion(ctx, s, p)
	if e.point {
		return h.spoolPoint(ctx, c, s, query, p, copyFields(e.fields), send)
	}
	return h.spoolRows(ctx, c, s, query, p, copyFields(e.fields), send)
}

// countQuestion counts the statement in the status variables, as
// go-mysql-server's engine does around analysis.
func (h *handler) countQuestion(ctx context.Context, s *backend.Session, p sql.Node) {
	sctx := sql.NewContext(ctx, sql.WithSession(s))
	sql.IncrementStatusVariable(sctx, "Questions", 1)
	if plan.NodeRepresentsSelect(p) {
		sql.IncrementStatusVariable(sctx, "Com_select", 1)
	}
}

func allTrue(bs []bool) bool {
	for _, b := range bs {
		if !b {
			return false
		}
	}
	return true
}
