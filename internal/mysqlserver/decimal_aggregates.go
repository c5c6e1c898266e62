package mysqlserver

import (
	"fmt"
	"math/big"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"
)

// SUM and AVG of exact numbers are DECIMAL, as in MySQL.
//
// MySQL sums integers and decimals exactly and types the result
// DECIMAL(p+22, s) for SUM and DECIMAL(p+4, s+4) for AVG, where p and s
// are the argument's precision and scale (an integer's precision is its
// display width without the sign: INT 10, BIGINT 19, BIGINT UNSIGNED 20),
// capped at 65 and 30. go-mysql-server v0.20.0 sums integers in float64
// (SUM(bigint) of large values loses digits and prints 9.007e+15) and its
// plan builder types every SUM and AVG column DOUBLE, whatever the
// aggregate's own type says.
//
// The rule below runs before analysis: it replaces each SUM and AVG of a
// GROUP BY whose argument is an integer or a decimal with decimalAggregate,
// which sums exactly, and gives every reference to its column (the
// projection, HAVING, ORDER BY, an alias, a derived table's, view's or
// CTE's column, a CREATE TABLE ... AS SELECT column) the DECIMAL type, so
// the wire sends NEWDECIMAL with MySQL's precision and scale, and widens
// the sides of a UNION that no longer agree. SUM and AVG of floats, strings and dates keep go-mysql-server's
// DOUBLE, as MySQL's are DOUBLE too (dates aside). Window functions
// (SUM(x) OVER (...)) are left as they are.

const ruleDecimalAggregates analyzer.RuleId = 10_030

// MySQL's limits and increments for decimal results (DECIMAL_MAX_PRECISION,
// DECIMAL_MAX_SCALE, DECIMAL_LONGLONG_DIGITS, div_precision_increment).
const (
	maxDecimalPrecision = 65
	maxDecimalScale     = 30
	sumExtraDigits      = 22
	avgExtraScale       = 4
)

// exactDigits returns the decimal precision and scale MySQL gives an
// argument of type t, and false when t is not an exact number.
func exactDigits(t sql.Type) (precision, scale int, ok bool) {
	if dt, isDec := t.(sql.DecimalType); isDec {
		return int(dt.Precision()), int(dt.Scale()), true
	}
	if !types.IsInteger(t) {
		return 0, 0, false
	}
	switch t.Type() {
	case sqltypes.Int8, sqltypes.Uint8:
		return 3, 0, true
	case sqltypes.Int16, sqltypes.Uint16:
		return 5, 0, true
	case sqltypes.Int24, sqltypes.Uint24:
		return 8, 0, true
	case sqltypes.Int32, sqltypes.Uint32:
		return 10, 0, true
	case sqltypes.Int64:
		return 19, 0, true
	case sqltypes.Uint64:
		return 20, 0, true
	}
	return 0, 0, false
}

// decimalResultType is MySQL's type of SUM (avg false) or AVG of an
// argument of type t, and false when the result stays DOUBLE.
func decimalResultType(t sql.Type, avg bool) (sql.DecimalType, bool) {
	p, s, ok := exactDigits(t)
	if !ok {
		return nil, false
	}
	if avg {
		p, s = p+avgExtraScale, min(s+avgExtraScale, maxDecimalScale)
	} else {
		p += sumExtraDigits
	}
	p = min(max(p, s, 1), maxDecimalPrecision)
	dt, err := types.CreateDecimalType(uint8(p), uint8(s))
	if err != nil {
		return nil, false
	}
	return dt, true
}

// decimalAggregate is SUM or AVG of an exact number: go-mysql-server's
// aggregate (its name, id, printing, window form) with an exact buffer and
// a DECIMAL type.
type decimalAggregate struct {
	sql.Aggregation // *aggregation.Sum or *aggregation.Avg
	avg             bool
	typ             sql.DecimalType
}

var _ sql.Aggregation = (*decimalAggregate)(nil)
var _ sql.FunctionExpression = (*decimalAggregate)(nil)

// Type implements sql.Expression.
func (a *decimalAggregate) Type() sql.Type { return a.typ }

// IsNullable implements sql.Expression: an empty group sums to NULL.
func (a *decimalAggregate) IsNullable() bool { return true }

// FunctionName implements sql.FunctionExpression.
func (a *decimalAggregate) FunctionName() string {
	return a.Aggregation.(sql.FunctionExpression).FunctionName()
}

// Description implements sql.FunctionExpression.
func (a *decimalAggregate) Description() string {
	return a.Aggregation.(sql.FunctionExpression).Description()
}

func (a *decimalAggregate) wrap(inner sql.Expression) *decimalAggregate {
	return &decimalAggregate{Aggregation: inner.(sql.Aggregation), avg: a.avg, typ: a.typ}
}

// WithChildren implements sql.Expression.
func (a *decimalAggregate) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	inner, err := a.Aggregation.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return a.wrap(inner), nil
}

// WithId implements sql.IdExpression.
func (a *decimalAggregate) WithId(id sql.ColumnId) sql.IdExpression {
	return a.wrap(a.Aggregation.WithId(id))
}

// WithWindow implements sql.WindowAdaptableExpression.
func (a *decimalAggregate) WithWindow(w *sql.WindowDefinition) sql.WindowAdaptableExpression {
	return a.wrap(a.Aggregation.WithWindow(w))
}

// Eval implements sql.Expression (an aggregate is evaluated through its
// buffer; this is go-mysql-server's error for a direct call).
func (a *decimalAggregate) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	return a.Aggregation.Eval(ctx, row)
}

// NewBuffer implements sql.Aggregation.
func (a *decimalAggregate) NewBuffer() (sql.AggregationBuffer, error) {
	// The argument is cloned per group, as go-mysql-server does: a
	// DISTINCT argument keeps the values it has seen.
	child, err := transform.Clone(a.Children()[0])
	if err != nil {
		return nil, err
	}
	return &decimalSumBuffer{arg: child, avg: a.avg, typ: a.typ}, nil
}

// decimalSumBuffer sums one group exactly.
type decimalSumBuffer struct {
	arg  sql.Expression
	avg  bool
	typ  sql.DecimalType
	sum  decimal.Decimal
	rows int64
}

// Update implements sql.AggregationBuffer; NULLs are skipped.
func (b *decimalSumBuffer) Update(ctx *sql.Context, row sql.Row) error {
	v, err := b.arg.Eval(ctx, row)
	if err != nil || v == nil {
		return err
	}
	d, err := exactValue(v, b.typ)
	if err != nil {
		return err
	}
	b.sum = b.sum.Add(d)
	b.rows++
	return nil
}

// Eval implements sql.AggregationBuffer: NULL for a group without values;
// AVG rounds half away from zero to its scale, as MySQL does.
func (b *decimalSumBuffer) Eval(*sql.Context) (any, error) {
	if b.rows == 0 {
		return nil, nil
	}
	if b.avg {
		return b.sum.DivRound(decimal.NewFromInt(b.rows), int32(b.typ.Scale())), nil
	}
	return b.sum, nil
}

// Dispose implements sql.Disposable.
func (b *decimalSumBuffer) Dispose() { expression.Dispose(b.arg) }

// exactValue is an integer or decimal argument's value as a decimal.
func exactValue(v any, t sql.DecimalType) (decimal.Decimal, error) {
	switch n := v.(type) {
	case decimal.Decimal:
		return n, nil
	case int8:
		return decimal.NewFromInt(int64(n)), nil
	case int16:
		return decimal.NewFromInt(int64(n)), nil
	case int32:
		return decimal.NewFromInt(int64(n)), nil
	case int64:
		return decimal.NewFromInt(n), nil
	case int:
		return decimal.NewFromInt(int64(n)), nil
	case uint8:
		return decimal.NewFromInt(int64(n)), nil
	case uint16:
		return decimal.NewFromInt(int64(n)), nil
	case uint32:
		return decimal.NewFromInt(int64(n)), nil
	case uint64:
		return decimal.NewFromBigInt(new(big.Int).SetUint64(n), 0), nil
	}
	d, err := t.ConvertNoBoundsCheck(v)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("sum of %T: %w", v, err)
	}
	return d, nil
}

// decimalSumAndAvg is the analyzer rule: it swaps SUM and AVG of exact
// numbers for decimalAggregate and retypes the references to their
// columns, in the statement and in its subqueries.
func decimalSumAndAvg(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, qFlags *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	// The plan builder flags every statement with a GROUP BY node (an
	// aggregate anywhere in it, subqueries and views included): the
	// others, point selects among them, skip the walk.
	if qFlags != nil && !qFlags.IsSet(sql.QFlagAggregation) {
		return n, transform.SameTree, nil
	}
	r := &aggregateRetyper{types: map[sql.ColumnId]sql.Type{}}
	return r.node(n)
}

// aggregateRetyper carries the new type of every column id that now holds
// a DECIMAL aggregate. Column ids are unique within a statement, so one
// map serves the statement and its subqueries.
type aggregateRetyper struct {
	types map[sql.ColumnId]sql.Type
}

// node processes n bottom-up: a node's children (and the subqueries in
// its expressions) before the node, so a reference is retyped after the
// column it reads.
func (r *aggregateRetyper) node(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeWithOpaque(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		same := transform.SameTree
		n2, changed, err := r.nodeExprs(n)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if changed {
			n, same = n2, transform.NewTree
		}
		switch c := n.(type) {
		case *plan.SetOp:
			if u, changed := r.alignSetOp(c); changed {
				n, same = u, transform.NewTree
			}
		case *plan.CreateTable:
			r.retypeCreatedColumns(c)
		}
		r.learnOutputs(n)
		return n, same, nil
	})
}

// swapAggregate replaces SUM or AVG of an exact number (of a GROUP BY:
// a window function's stays) and records its id.
func (r *aggregateRetyper) swapAggregate(agg sql.Aggregation, avg bool) (sql.Expression, transform.TreeIdentity) {
	if agg.Window() != nil {
		return agg, transform.SameTree
	}
	typ, ok := decimalResultType(agg.Children()[0].Type(), avg)
	if !ok {
		return agg, transform.SameTree
	}
	r.types[agg.Id()] = typ
	return &decimalAggregate{Aggregation: agg, avg: avg, typ: typ}, transform.NewTree
}

// nodeExprs retypes the references in n's own expressions. (Not
// transform.OneNodeExprsWithNode: it rebuilds every alias through
// WithChildren, which drops the alias' id.)
func (r *aggregateRetyper) nodeExprs(n sql.Node) (sql.Node, bool, error) {
	ex, ok := n.(sql.Expressioner)
	if !ok {
		return n, false, nil
	}
	exprs := ex.Expressions()
	var out []sql.Expression
	for i, e := range exprs {
		ne, same, err := r.expr(e)
		if err != nil {
			return nil, false, err
		}
		if same == transform.NewTree && out == nil {
			out = append([]sql.Expression(nil), exprs...)
		}
		if out != nil {
			out[i] = ne
		}
	}
	if out == nil {
		return n, false, nil
	}
	nn, err := ex.WithExpressions(out...)
	return nn, err == nil, err
}

// expr retypes the references in e and processes its subqueries. It
// rebuilds an alias itself: go-mysql-server's Alias.WithChildren drops the
// alias' column id, by which later nodes refer to it.
func (r *aggregateRetyper) expr(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	switch e := e.(type) {
	case *plan.Subquery:
		q, same, err := r.node(e.Query)
		if err != nil || same == transform.SameTree {
			return e, transform.SameTree, err
		}
		return e.WithQuery(q), transform.NewTree, nil
	case *expression.GetField:
		typ, ok := r.types[e.Id()]
		if !ok || typ.Equals(e.Type()) {
			return e, transform.SameTree, nil
		}
		gf := expression.NewGetFieldWithTable(e.Index(), int(e.TableId()), typ, e.Database(), e.Table(), e.Name(), true)
		if e.IsQuotedIdentifier() {
			gf = gf.WithQuotedNames(sql.GlobalSchemaFormatter, true)
		}
		return gf.WithId(e.Id()), transform.NewTree, nil
	case *aggregation.Sum:
		ne, same := r.swapAggregate(e, false)
		return ne, same, nil
	case *aggregation.Avg:
		ne, same := r.swapAggregate(e, true)
		return ne, same, nil
	case *expression.Alias:
		c, same, err := r.expr(e.Child)
		if err != nil || same == transform.SameTree {
			return e, transform.SameTree, err
		}
		cp := *e
		cp.Child = c
		return &cp, transform.NewTree, nil
	}
	children := e.Children()
	var out []sql.Expression
	for i, c := range children {
		nc, same, err := r.expr(c)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if same == transform.NewTree && out == nil {
			out = append([]sql.Expression(nil), children...)
		}
		if out != nil {
			out[i] = nc
		}
	}
	if out == nil {
		return e, transform.SameTree, nil
	}
	ne, err := e.WithChildren(out...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return ne, transform.NewTree, nil
}

// alignSetOp gives both sides of a UNION, INTERSECT or EXCEPT the same
// column types again where a DECIMAL aggregate made them differ (the plan
// builder aligned them while both were DOUBLE; go-mysql-server's
// validation requires equal types). The common type is MySQL's: DECIMAL
// wide enough for both when both are exact, else DOUBLE.
func (r *aggregateRetyper) alignSetOp(u *plan.SetOp) (sql.Node, bool) {
	ls, rs := u.Left().Schema(), u.Right().Schema()
	lids, rids := projectedIds(u.Left()), projectedIds(u.Right())
	if len(ls) != len(rs) || len(lids) != len(ls) || len(rids) != len(rs) {
		return u, false
	}
	les, res := make([]sql.Expression, len(ls)), make([]sql.Expression, len(rs))
	differ := false
	for i := range ls {
		les[i] = columnRef(lids[i], ls[i])
		res[i] = columnRef(rids[i], rs[i])
		if ls[i].Type.Equals(rs[i].Type) {
			continue
		}
		_, lDec := ls[i].Type.(sql.DecimalType)
		_, rDec := rs[i].Type.(sql.DecimalType)
		if !lDec && !rDec {
			continue
		}
		differ = true
		to, p, sc := commonNumericType(ls[i].Type, rs[i].Type)
		les[i] = expression.NewAlias(ls[i].Name, expression.NewConvertWithLengthAndScale(les[i], to, p, sc))
		res[i] = expression.NewAlias(rs[i].Name, expression.NewConvertWithLengthAndScale(res[i], to, p, sc))
	}
	if !differ {
		return u, false
	}
	n, err := u.WithChildren(plan.NewProject(les, u.Left()), plan.NewProject(res, u.Right()))
	if err != nil {
		return u, false
	}
	return n, true
}

// columnRef reads column c of a set operation's side by its id.
func columnRef(id sql.ColumnId, c *sql.Column) sql.Expression {
	return expression.NewGetFieldWithTable(int(id), 0, c.Type, c.DatabaseSource, c.Source, c.Name, c.Nullable)
}

// commonNumericType is the conversion that holds a column of type l and
// one of type r (one of them DECIMAL), with its precision and scale.
func commonNumericType(l, r sql.Type) (string, int, int) {
	lp, ls, lok := exactDigits(l)
	rp, rs, rok := exactDigits(r)
	if !lok || !rok {
		if types.IsNumber(l) && types.IsNumber(r) {
			return expression.ConvertToDouble, 0, 0
		}
		return expression.GetConvertToType(l, r), 0, 0
	}
	scale := max(ls, rs)
	precision := min(max(lp-ls, rp-rs)+scale, maxDecimalPrecision)
	return expression.ConvertToDecimal, precision, scale
}

// retypeCreatedColumns gives a CREATE TABLE ... AS SELECT without column
// definitions the DECIMAL types of its query's columns: the plan builder
// copied the query's schema into the table's while SUM and AVG were
// DOUBLE. The columns belong to this statement's plan alone.
func (r *aggregateRetyper) retypeCreatedColumns(ct *plan.CreateTable) {
	sel := ct.Select()
	if sel == nil {
		return
	}
	cols, ids := ct.PkSchema().Schema, projectedIds(sel)
	if len(cols) != len(ids) {
		return // declared columns: their types are the user's
	}
	for i, id := range ids {
		typ, ok := r.types[id]
		if ok && types.IsFloat(cols[i].Type) {
			cols[i].Type = typ
			cols[i].Nullable = true
		}
	}
}

// learnOutputs records the columns of n that pass a DECIMAL aggregate on
// under a new id: aliases of it, and a derived table's (or view's, or
// CTE's) columns, which the plan builder numbered afresh with the type it
// had then.
func (r *aggregateRetyper) learnOutputs(n sql.Node) {
	if ex, ok := n.(sql.Expressioner); ok {
		for _, e := range ex.Expressions() {
			if al, ok := e.(*expression.Alias); ok {
				if _, isDec := al.Type().(sql.DecimalType); isDec && r.readsRetyped(al.Child) {
					r.types[al.Id()] = al.Type()
				}
			}
		}
	}
	sq, ok := n.(*plan.SubqueryAlias)
	if !ok {
		return
	}
	inner := projectedIds(sq.Child)
	// The derived table's column ids were allocated in the order of the
	// inner query's columns.
	i := 0
	sq.Columns().ForEach(func(id sql.ColumnId) {
		if i < len(inner) {
			if typ, ok := r.types[inner[i]]; ok {
				r.types[id] = typ
			}
		}
		i++
	})
}

// readsRetyped reports whether e reads a retyped column.
func (r *aggregateRetyper) readsRetyped(e sql.Expression) bool {
	return transform.InspectExpr(e, func(e sql.Expression) bool {
		gf, ok := e.(*expression.GetField)
		if !ok {
			return false
		}
		_, ok = r.types[gf.Id()]
		return ok
	})
}

// projectedIds are the column ids of n's columns in order (0 where a
// column has none), looking through the nodes that pass their child's
// columns on, and into the first branch of a UNION.
func projectedIds(n sql.Node) []sql.ColumnId {
	for n != nil {
		switch c := n.(type) {
		case sql.Projector:
			exprs := c.ProjectedExprs()
			ids := make([]sql.ColumnId, len(exprs))
			for i, e := range exprs {
				if ie, ok := e.(sql.IdExpression); ok {
					ids[i] = ie.Id()
				}
			}
			return ids
		case *plan.SubqueryAlias:
			var ids []sql.ColumnId
			c.Columns().ForEach(func(id sql.ColumnId) { ids = append(ids, id) })
			return ids
		case *plan.SetOp:
			n = c.Left()
		default:
			if len(n.Children()) != 1 {
				return nil
			}
			n = n.Children()[0]
		}
	}
	return nil
}
