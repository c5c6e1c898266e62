package mysqlserver

import (
	"fmt"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/proto/query"
)

// wrapUnsignedFromFloat works around go-mysql-server v0.20.0's conversion
// of a floating-point value to TINYINT, SMALLINT and BIGINT UNSIGNED: it
// reports 0 and the type's maximum as out of range (its bounds are `<= 0`
// and `>= max`). Node mysql2 sends every JavaScript number as a DOUBLE
// parameter, so `INSERT ... VALUES (?)` with 0 failed with 1264 there.
// The rule wraps the value written to an unsigned integer column, by
// INSERT (any source) and UPDATE ... SET, in unsignedFromFloat, which
// rounds an in-range float to an integer first (MySQL rounds half away
// from zero); anything else reaches go-mysql-server unchanged.
func wrapUnsignedFromFloat(n sql.Node) (sql.Node, error) {
	n, _, err := transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch n := n.(type) {
		case *plan.InsertInto:
			proj, ok := n.Source.(*plan.Project)
			if !ok {
				return n, transform.SameTree, nil
			}
			schema := n.Destination.Schema()
			if len(proj.Projections) != len(schema) {
				return n, transform.SameTree, nil
			}
			exprs := make([]sql.Expression, len(schema))
			changed := false
			for i, e := range proj.Projections {
				exprs[i] = e
				if w, ok := wrapForColumn(schema[i].Type, e); ok {
					exprs[i], changed = w, true
				}
			}
			if !changed {
				return n, transform.SameTree, nil
			}
			src, err := proj.WithExpressions(exprs...)
			if err != nil {
				return nil, transform.SameTree, err
			}
			return n.WithSource(src), transform.NewTree, nil
		case *plan.UpdateSource:
			exprs := make([]sql.Expression, len(n.UpdateExprs))
			changed := false
			for i, e := range n.UpdateExprs {
				exprs[i] = e
				set, ok := e.(*expression.SetField)
				if !ok {
					continue
				}
				if w, ok := wrapForColumn(set.LeftChild.Type(), set.RightChild); ok {
					exprs[i], changed = expression.NewSetField(set.LeftChild, w), true
				}
			}
			if !changed {
				return n, transform.SameTree, nil
			}
			u, err := n.WithExpressions(exprs...)
			if err != nil {
				return nil, transform.SameTree, err
			}
			return u, transform.NewTree, nil
		}
		return n, transform.SameTree, nil
	})
	return n, err
}

// wrapForColumn wraps e when col is an unsigned integer type.
func wrapForColumn(col sql.Type, e sql.Expression) (sql.Expression, bool) {
	max, ok := unsignedMax(col)
	if !ok {
		return nil, false
	}
	if _, done := e.(*unsignedFromFloat); done {
		return nil, false
	}
	// go-mysql-server finds the inserted id by the AutoIncrement
	// expression itself (insertIter.getAutoIncVal): wrap its child, never
	// the expression, or LAST_INSERT_ID and the OK packet's insert id are 0.
	if ai, ok := e.(*expression.AutoIncrement); ok {
		w, ok := wrapForColumn(col, ai.Child)
		if !ok {
			return nil, false
		}
		wrapped, err := ai.WithChildren(w)
		if err != nil {
			return nil, false
		}
		return wrapped, true
	}
	return &unsignedFromFloat{UnaryExpression: expression.UnaryExpression{Child: e}, max: max}, true
}

// unsignedMax returns the largest value of an unsigned integer type, as a
// float64 bound (exclusive 2^64 for BIGINT UNSIGNED).
func unsignedMax(t sql.Type) (float64, bool) {
	if t == nil || !types.IsUnsigned(t) {
		return 0, false
	}
	switch t.Type() {
	case query.Type_UINT8:
		return math.MaxUint8, true
	case query.Type_UINT16:
		return math.MaxUint16, true
	case query.Type_UINT24:
		return 1<<24 - 1, true
	case query.Type_UINT32:
		return math.MaxUint32, true
	case query.Type_UINT64:
		return math.MaxUint64, true
	}
	return 0, false
}

// unsignedFromFloat evaluates its child and turns a float that rounds into
// [0, max] into a uint64; other values pass through unchanged.
type unsignedFromFloat struct {
	expression.UnaryExpression
	max float64
}

var _ sql.Expression = (*unsignedFromFloat)(nil)

// Type implements sql.Expression.
func (e *unsignedFromFloat) Type() sql.Type { return e.Child.Type() }

// IsNullable implements sql.Expression.
func (e *unsignedFromFloat) IsNullable() bool { return e.Child.IsNullable() }

// Eval implements sql.Expression.
func (e *unsignedFromFloat) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := e.Child.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	default:
		return v, nil
	}
	r := math.Round(f)
	// For BIGINT UNSIGNED max is 2^64 as a float64: exclusive.
	if math.IsNaN(r) || r < 0 || r > e.max || (e.max == math.MaxUint64 && r >= e.max) {
		return v, nil
	}
	return uint64(r), nil
}

// String implements sql.Expression.
func (e *unsignedFromFloat) String() string { return e.Child.String() }

// WithChildren implements sql.Expression.
func (e *unsignedFromFloat) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, fmt.Errorf("unsignedFromFloat: %d children, want 1", len(children))
	}
	return &unsignedFromFloat{UnaryExpression: expression.UnaryExpression{Child: children[0]}, max: e.max}, nil
}
