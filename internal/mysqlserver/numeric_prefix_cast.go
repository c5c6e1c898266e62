package mysqlserver

import (
	"regexp"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
)

// CAST of a string with trailing garbage to a number takes its numeric
// prefix, as MySQL does: CAST('12abc' AS SIGNED) is 12 with warning 1292
// "Truncated incorrect INTEGER value: '12abc'", CAST('abc' AS SIGNED) is 0
// with the same warning. go-mysql-server v0.20.0 returns 0 for both,
// silently (its arithmetic already takes the prefix: '12abc' + 0 is 12).
// Strings that are whole numbers go to go-mysql-server's cast unchanged.
//
// A comparison of a string with a number compares them as numbers in
// MySQL, the string by its prefix: '12abc' = 12 is true, with warning 1292
// "Truncated incorrect DOUBLE value". go-mysql-server converts the string
// with the same cast (0), so the string side of such a comparison gets a
// prefixCast to DOUBLE. These are rewrites of the final plan (loaddata.go's
// rewritingBuilder), after index selection: an index lookup the optimizer
// chose for such a comparison keeps go-mysql-server's conversion.

// Numeric prefixes after leading white space: an integer for SIGNED and
// UNSIGNED, a decimal number with an optional exponent otherwise.
var (
	intPrefix   = regexp.MustCompile(`^[ \t\n\r]*[+-]?[0-9]*`)
	floatPrefix = regexp.MustCompile(`^[ \t\n\r]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?`)
)

// wrapNumericCasts applies wrapNumericCast to every expression of the plan.
func wrapNumericCasts(n sql.Node) (sql.Node, error) {
	n, _, err := transform.NodeExprsWithOpaque(n, wrapNumericCast)
	return n, err
}

// wrapNumericCast wraps a CAST or CONVERT to SIGNED, UNSIGNED, DECIMAL,
// FLOAT or DOUBLE in prefixCast.
func wrapNumericCast(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	switch e.(type) {
	case *expression.Equals, *expression.NullSafeEquals, *expression.LessThan,
		*expression.LessThanOrEqual, *expression.GreaterThan, *expression.GreaterThanOrEqual:
		return numericComparison(e)
	case *expression.Between:
		return numericBetween(e)
	}
	c, ok := e.(*expression.Convert)
	if !ok {
		return e, transform.SameTree, nil
	}
	var kind string
	switch t := c.Type(); {
	case types.IsInteger(t):
		kind = "INTEGER"
	case types.IsDecimal(t):
		kind = "DECIMAL"
	case types.IsFloat(t):
		kind = "DOUBLE"
	default:
		return e, transform.SameTree, nil
	}
	return &prefixCast{Convert: c, kind: kind}, transform.NewTree, nil
}

// numericComparison gives the string side of a comparison between a
// string and a number a prefixCast to DOUBLE.
func numericComparison(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	ch := e.Children()
	if len(ch) != 2 {
		return e, transform.SameTree, nil
	}
	l, r := ch[0], ch[1]
	switch {
	case types.IsText(l.Type()) && types.IsNumber(r.Type()):
		l = toDouble(l)
	case types.IsNumber(l.Type()) && types.IsText(r.Type()):
		r = toDouble(r)
	default:
		return e, transform.SameTree, nil
	}
	ne, err := e.WithChildren(l, r)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return ne, transform.NewTree, nil
}

// numericBetween gives the string operands of a BETWEEN whose value is a
// number, or whose bounds both are, a prefixCast to DOUBLE.
func numericBetween(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	ch := e.Children()
	if len(ch) != 3 {
		return e, transform.SameTree, nil
	}
	isNum := func(x sql.Expression) bool { return types.IsNumber(x.Type()) }
	if !isNum(ch[0]) && !(isNum(ch[1]) && isNum(ch[2])) {
		return e, transform.SameTree, nil
	}
	out := append([]sql.Expression(nil), ch...)
	changed := false
	for i, x := range out {
		if types.IsText(x.Type()) {
			out[i], changed = toDouble(x), true
		}
	}
	if !changed {
		return e, transform.SameTree, nil
	}
	ne, err := e.WithChildren(out...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return ne, transform.NewTree, nil
}

// toDouble is e read as a DOUBLE by its numeric prefix.
func toDouble(e sql.Expression) sql.Expression {
	return &prefixCast{Convert: expression.NewConvert(e, expression.ConvertToDouble), kind: "DOUBLE"}
}

// prefixCast is a numeric CAST that reads a string by its numeric prefix;
// every other value, and a string that is a whole number, goes to
// go-mysql-server's cast.
type prefixCast struct {
	*expression.Convert
	kind string // INTEGER, DECIMAL or DOUBLE: MySQL's word in the warning
}

var _ sql.Expression = (*prefixCast)(nil)

// Eval implements sql.Expression.
func (e *prefixCast) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := e.Convert.Child.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return e.Convert.Eval(ctx, row)
	}
	prefix, whole := numericPrefix(s, e.kind == "INTEGER")
	if whole {
		return e.Convert.Eval(ctx, row)
	}
	ctx.Warn(mysql.ERTruncatedWrongValue, "Truncated incorrect %s value: '%s'", e.kind, s)
	c, err := e.Convert.WithChildren(expression.NewLiteral(prefix, types.LongText))
	if err != nil {
		return nil, err
	}
	return c.Eval(ctx, nil)
}

// numericPrefix returns the number s starts with ("0" when none) and
// whether s is that number alone, apart from white space around it. A
// string that is a decimal number is whole for an integer cast too:
// go-mysql-server's cast decides how it rounds.
func numericPrefix(s string, integer bool) (string, bool) {
	if m := floatPrefix.FindString(s); m != "" && strings.TrimSpace(s[len(m):]) == "" {
		return strings.TrimSpace(m), true
	}
	re := floatPrefix
	if integer {
		re = intPrefix
	}
	p := strings.TrimSpace(re.FindString(s))
	if strings.Trim(p, "+-") == "" {
		return "0", false
	}
	return p, false
}

// String implements sql.Expression.
func (e *prefixCast) String() string { return e.Convert.String() }

// WithChildren implements sql.Expression.
func (e *prefixCast) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	conv, err := convertWithChildren("prefixCast", e.Convert, children...)
	if err != nil {
		return nil, err
	}
	return &prefixCast{Convert: conv, kind: e.kind}, nil
}
