package mysqlserver

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// wrapTimeCasts applies wrapTimeCast to every expression of the plan.
func wrapTimeCasts(n sql.Node) (sql.Node, error) {
	n, _, err := transform.NodeExprsWithOpaque(n, wrapTimeCast)
	return n, err
}

// wrapTimeCast wraps CAST(x AS TIME) in datetimeToTime. go-mysql-server
// v0.20.0 casts a string holding a date and a time ('2011-11-20
// 21:27:37') to TIME as NULL, where MySQL takes its time part. A DATETIME
// parameter of a prepared statement reaches the engine as such a string
// (go-sql-driver sends every time.Time as one), so
// `SELECT CAST(? AS TIME)` gave NULL.
func wrapTimeCast(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	c, ok := e.(*expression.Convert)
	if !ok || c.Type().Type() != sqltypes.Time {
		return e, transform.SameTree, nil
	}
	return &datetimeToTime{Convert: c}, transform.NewTree, nil
}

// datetimeToTime is a CAST to TIME that also takes the time part of a
// date-and-time string; every other value goes to go-mysql-server's cast.
type datetimeToTime struct {
	*expression.Convert
}

var _ sql.Expression = (*datetimeToTime)(nil)

// Eval implements sql.Expression.
func (e *datetimeToTime) Eval(ctx *sql.Context, row sql.Row) (any, error) {
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
	if _, err := types.Time.ConvertToTimespan(s); err == nil {
		return e.Convert.Eval(ctx, row)
	}
	// The zero date is midnight (go-sql-driver sends a zero time.Time
	// parameter as it); MariaDB and MySQL agree.
	if strings.TrimSpace(s) == zeroDate {
		return types.Time.ConvertToTimespan("00:00:00")
	}
	clock, ok := timeOfDatetime(s)
	if !ok {
		return e.Convert.Eval(ctx, row)
	}
	ts, err := types.Time.ConvertToTimespan(clock)
	if err != nil {
		return e.Convert.Eval(ctx, row)
	}
	return ts, nil
}

// timeOfDatetime returns the time part of "YYYY-MM-DD hh:mm:ss[.frac]"
// (or with a T between the two), and false for anything else.
func timeOfDatetime(s string) (string, bool) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, " T")
	if i < 0 {
		return "", false
	}
	date, clock := s[:i], strings.TrimSpace(s[i+1:])
	parts := strings.Split(date, "-")
	if len(parts) != 3 || clock == "" || !strings.Contains(clock, ":") {
		return "", false
	}
	for _, p := range parts {
		if p == "" || len(p) > 4 || strings.Trim(p, "0123456789") != "" {
			return "", false
		}
	}
	return clock, true
}

// String implements sql.Expression.
func (e *datetimeToTime) String() string { return e.Convert.String() }

// WithChildren implements sql.Expression.
func (e *datetimeToTime) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	conv, err := convertWithChildren("datetimeToTime", e.Convert, children...)
	if err != nil {
		return nil, err
	}
	return &datetimeToTime{Convert: conv}, nil
}

// zeroDateParams gives back MySQL's zero date to the DATE, DATETIME and
// TIMESTAMP parameters of a COM_STMT_EXECUTE sent with length 0 (a zero
// MYSQL_TIME, as C clients send it): vitess decodes them as the string
// " ", which the engine reads as no date at all (CAST(? AS TIME) of it was
// NULL).
func zeroDateParams(prepare *mysql.PrepareData) {
	for i, typ := range prepare.ParamsType {
		zero := zeroDate + " 00:00:00"
		switch querypb.Type(typ) {
		case querypb.Type_DATE:
			zero = zeroDate
		case querypb.Type_DATETIME, querypb.Type_TIMESTAMP:
		default:
			continue
		}
		key := "v" + strconv.Itoa(i+1)
		if bv := prepare.BindVars[key]; bv != nil && bv.Type == querypb.Type_VARCHAR && string(bv.Value) == " " {
			prepare.BindVars[key] = sqltypes.StringBindVariable(zero)
		}
	}
}

// convertWithChildren is Convert.WithChildren for the expressions that
// wrap a Convert (datetimeToTime, prefixCast): the new Convert, or an
// error naming the wrapper.
func convertWithChildren(wrapper string, c *expression.Convert, children ...sql.Expression) (*expression.Convert, error) {
	n, err := c.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	conv, ok := n.(*expression.Convert)
	if !ok {
		return nil, fmt.Errorf("%s: unexpected %T", wrapper, n)
	}
	return conv, nil
}
