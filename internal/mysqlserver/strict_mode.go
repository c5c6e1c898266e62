package mysqlserver

import (
	"math"
	"sync"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
)

// Strict mode for the values INSERT and UPDATE write, where
// go-mysql-server v0.20.0 differs from MySQL:
//
//   - UPDATE t SET tinyint_col = -129 stored -128 (it converts SET values
//     ignoring the range): now 1264 in strict mode, a warning 1264 and the
//     clamped value otherwise, as MySQL does (INSERT already gave 1264);
//   - a division by zero in an INSERT or UPDATE stored NULL with a
//     warning: now 1365 under strict mode with ERROR_FOR_DIVISION_BY_ZERO;
//   - a string too long for its column failed with 1406 in every mode: now
//     truncated with a warning 1265 when not strict (1406 stays in strict
//     mode).
//
// INSERT IGNORE and UPDATE IGNORE keep warnings, as in MySQL. The rule
// runs before go-mysql-server's own ones, in every batch: a simple INSERT
// or UPDATE of one table takes a short rule list that skips guocedb's
// other rules (rules.go).

// mysql8SQLMode is MySQL 8.0's default sql_mode, the server's default
// (go-mysql-server's is NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY,
// STRICT_TRANS_TABLES: zero dates and division by zero passed).
const mysql8SQLMode = "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"

var addStrictWrites sync.Once

// installStrictWrites puts strictWrites among go-mysql-server's rules that
// run before the default ones in every batch, the short ones of simple
// INSERT, UPDATE and DELETE included. Those lists are process-wide.
func installStrictWrites() {
	addStrictWrites.Do(func() {
		analyzer.AlwaysBeforeDefault = append(analyzer.AlwaysBeforeDefault, analyzer.Rule{Id: ruleStrictWrites, Apply: strictWrites})
	})
}

// writeMode is what the session's sql_mode says about written values.
type writeMode struct {
	strict, divZero bool
	// zeroDates: the zero date may be stored (no NO_ZERO_DATE).
	zeroDates bool
}

func writeModeOf(ctx *sql.Context, ignore bool) writeMode {
	m := loadSQLMode(ctx)
	strict := !ignore && (m.ModeEnabled("STRICT_TRANS_TABLES") || m.ModeEnabled("STRICT_ALL_TABLES") || m.ModeEnabled("TRADITIONAL"))
	return writeMode{strict: strict, divZero: strict && (m.ModeEnabled("ERROR_FOR_DIVISION_BY_ZERO") || m.ModeEnabled("TRADITIONAL")),
		zeroDates: !m.ModeEnabled("NO_ZERO_DATE") && !m.ModeEnabled("TRADITIONAL")}
}

// strictWrites wraps the values of INSERT ... VALUES and of UPDATE's SET.
func strictWrites(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		switch n := n.(type) {
		case *plan.InsertInto:
			return strictInsert(ctx, n)
		case *plan.UpdateSource:
			return strictUpdate(ctx, n)
		}
		return n, transform.SameTree, nil
	})
}

func strictInsert(ctx *sql.Context, n *plan.InsertInto) (sql.Node, transform.TreeIdentity, error) {
	vals, ok := n.Source.(*plan.Values)
	if !ok || n.Destination == nil {
		return n, transform.SameTree, nil
	}
	mode := writeModeOf(ctx, n.Ignore)
	sch := n.Destination.Schema()
	cols := make([]*sql.Column, 0, len(sch))
	if len(n.ColumnNames) == 0 {
		cols = append(cols, sch...)
	} else {
		for _, name := range n.ColumnNames {
			i := sch.IndexOfColName(name)
			if i < 0 {
				return n, transform.SameTree, nil // go-mysql-server reports it
			}
			cols = append(cols, sch[i])
		}
	}
	tuples := make([][]sql.Expression, len(vals.ExpressionTuples))
	changed := false
	for r, tuple := range vals.ExpressionTuples {
		tuples[r] = make([]sql.Expression, len(tuple))
		for i, e := range tuple {
			tuples[r][i] = e
			if i >= len(cols) {
				continue
			}
			// MySQL's own checks of INSERT values stay go-mysql-server's
			// (1264 and 1406 already); what differs is division by zero
			// and truncation without strict mode.
			if w := checkedValue(e, cols[i], mode, false); w != e {
				tuples[r][i], changed = w, true
			}
		}
	}
	if !changed {
		return n, transform.SameTree, nil
	}
	nv := *vals
	nv.ExpressionTuples = tuples
	return n.WithSource(&nv), transform.NewTree, nil
}

func strictUpdate(ctx *sql.Context, n *plan.UpdateSource) (sql.Node, transform.TreeIdentity, error) {
	mode := writeModeOf(ctx, n.Ignore)
	exprs := make([]sql.Expression, len(n.UpdateExprs))
	changed := false
	for i, e := range n.UpdateExprs {
		exprs[i] = e
		sf, ok := e.(*expression.SetField)
		if !ok {
			continue
		}
		gf, ok := sf.LeftChild.(*expression.GetField)
		if !ok {
			continue
		}
		col := &sql.Column{Name: gf.Name(), Type: gf.Type(), Source: gf.Table()}
		if w := checkedValue(sf.RightChild, col, mode, true); w != sf.RightChild {
			exprs[i], changed = expression.NewSetField(sf.LeftChild, w), true
		}
	}
	if !changed {
		return n, transform.SameTree, nil
	}
	nu := *n
	nu.UpdateExprs = exprs
	return &nu, transform.NewTree, nil
}

// checkedValue wraps e, a value written into col, in the checks mode asks
// for; it returns e itself when none applies. rangeCheck asks for the
// numeric range check go-mysql-server skips in UPDATE.
func checkedValue(e sql.Expression, col *sql.Column, mode writeMode, rangeCheck bool) sql.Expression {
	if _, isDefault := e.(*sql.ColumnDefaultValue); isDefault {
		return e
	}
	if mode.divZero {
		e = strictDivisions(e)
	}
	switch {
	case rangeCheck && types.IsNumber(col.Type):
		return &checkedWrite{Expression: e, col: col, strict: mode.strict, numeric: true}
	case !mode.strict && types.IsText(col.Type):
		if st, ok := col.Type.(sql.StringType); ok && st.MaxCharacterLength() > 0 {
			return &checkedWrite{Expression: e, col: col, maxChars: st.MaxCharacterLength()}
		}
	case types.IsTime(col.Type):
		// Relaxed date strings, and invalid dates without strict mode
		// (relaxed_dates.go).
		return &relaxedDate{Expression: e, col: col, zeroDate: !mode.strict && mode.zeroDates}
	}
	return e
}

// strictDivisions wraps every division of e in divisionByZero.
func strictDivisions(e sql.Expression) sql.Expression {
	out, _, err := transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		switch e.(type) {
		case *expression.Div, *expression.IntDiv, *expression.Mod:
			return &divisionByZero{Expression: e}, transform.NewTree, nil
		}
		return e, transform.SameTree, nil
	})
	if err != nil {
		return e
	}
	return out
}

// divisionByZero fails where the division it wraps warned "Division by 0"
// (1365) and gave NULL.
type divisionByZero struct{ sql.Expression }

func (d *divisionByZero) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	before := ctx.Session.WarningCount()
	v, err := d.Expression.Eval(ctx, row)
	if err != nil || v != nil || ctx.Session.WarningCount() == before {
		return v, err
	}
	if w := ctx.Session.Warnings(); len(w) > 0 && w[0].Code == expression.ERDivisionByZero {
		return nil, errDivisionByZero
	}
	return v, err
}

func (d *divisionByZero) WithChildren(c ...sql.Expression) (sql.Expression, error) {
	inner, err := d.Expression.WithChildren(c...)
	if err != nil {
		return nil, err
	}
	return &divisionByZero{Expression: inner}, nil
}

// errDivisionByZero is MySQL's ER_DIVISION_BY_ZERO as an error.
var errDivisionByZero = mysql.NewSQLError(expression.ERDivisionByZero, "22012", "Division by 0")

// checkedWrite is a value written into col: range-checked (numeric) or
// truncated to maxChars characters with a warning 1265.
type checkedWrite struct {
	sql.Expression
	col      *sql.Column
	strict   bool
	numeric  bool
	maxChars int64
}

func (c *checkedWrite) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := c.Expression.Eval(ctx, row)
	if err != nil || v == nil {
		return v, err
	}
	if c.numeric {
		// A float into an unsigned column is rounded first, as
		// unsignedFromFloat (unsigned.go) does after this check.
		if max, ok := unsignedMax(c.col.Type); ok {
			if f, isFloat := v.(float64); isFloat && math.Round(f) >= 0 && math.Round(f) <= max && !(max == math.MaxUint64 && math.Round(f) >= max) {
				return v, nil
			}
		}
		if _, inRange, err := c.col.Type.Convert(ctx, v); err == nil && inRange == sql.OutOfRange {
			if c.strict {
				return nil, mysql.NewSQLError(mysql.ERWarnDataOutOfRange, mysql.SSDataOutOfRange, "Out of range value for column '%s' at row 1", c.col.Name)
			}
			ctx.Warn(1264, "Out of range value for column '%s' at row 1", c.col.Name)
		}
		return v, nil
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return v, nil
	}
	if int64(utf8.RuneCountInString(s)) <= c.maxChars {
		return v, nil
	}
	ctx.Warn(1265, "Data truncated for column '%s' at row 1", c.col.Name)
	n := int64(0)
	for i := range s {
		if n == c.maxChars {
			return s[:i], nil
		}
		n++
	}
	return s, nil
}

func (c *checkedWrite) WithChildren(ch ...sql.Expression) (sql.Expression, error) {
	if len(ch) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(c, len(ch), 1)
	}
	cp := *c
	cp.Expression = ch[0]
	return &cp, nil
}

func (c *checkedWrite) Children() []sql.Expression { return []sql.Expression{c.Expression} }
