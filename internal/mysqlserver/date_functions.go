package mysqlserver

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// MySQL date and time functions go-mysql-server v0.20.0 lacks (C and
// PHP applications call them; "function: 'maketime' not found" before):
// MAKETIME, SEC_TO_TIME, PERIOD_ADD, PERIOD_DIFF, TO_SECONDS, MAKEDATE,
// ADDTIME, SUBTIME, UTC_DATE and UTC_TIME. Each takes its arguments
// evaluated and non-NULL (a NULL argument gives NULL, as in MySQL).

// maxTimeMicros is TIME's range, ±838:59:59, in microseconds.
const maxTimeMicros = (838*3600 + 59*60 + 59) * 1_000_000

// dateFunction is one of these functions with its arguments.
type dateFunction struct {
	name string
	args []sql.Expression
	typ  sql.Type
	eval func(ctx *sql.Context, args []any) (any, error)
}

var _ sql.Expression = (*dateFunction)(nil)

func (f *dateFunction) Resolved() bool {
	for _, a := range f.args {
		if !a.Resolved() {
			return false
		}
	}
	return true
}

func (f *dateFunction) String() string {
	parts := make([]string, len(f.args))
	for i, a := range f.args {
		parts[i] = a.String()
	}
	return strings.ToUpper(f.name) + "(" + strings.Join(parts, ", ") + ")"
}

func (f *dateFunction) Type() sql.Type             { return f.typ }
func (f *dateFunction) IsNullable() bool           { return true }
func (f *dateFunction) Children() []sql.Expression { return f.args }
func (f *dateFunction) FunctionName() string       { return f.name }
func (f *dateFunction) Description() string        { return "MySQL's " + strings.ToUpper(f.name) + "()" }
func (f *dateFunction) IsNonDeterministic() bool   { return strings.HasPrefix(f.name, "utc_") }
func (f *dateFunction) WithChildren(c ...sql.Expression) (sql.Expression, error) {
	if len(c) != len(f.args) {
		return nil, sql.ErrInvalidChildrenNumber.New(f, len(c), len(f.args))
	}
	cp := *f
	cp.args = c
	return &cp, nil
}

func (f *dateFunction) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	vals := make([]any, len(f.args))
	for i, a := range f.args {
		v, err := a.Eval(ctx, row)
		if err != nil || v == nil {
			return nil, err
		}
		vals[i] = v
	}
	return f.eval(ctx, vals)
}

// dateFunctionDef declares one function: its arity and how it is built.
type dateFunctionDef struct {
	name string
	// arity is the number of arguments; the parser passes UTC_DATE and
	// UTC_TIME an optional precision, which extra allows (and ignores).
	arity, extra int
	build        func(args []sql.Expression) *dateFunction
}

// dateFunctions are registered in the engine's catalog (NewEngine).
var dateFunctions = []dateFunctionDef{
	{"maketime", 3, 0, func(a []sql.Expression) *dateFunction {
		return &dateFunction{typ: types.Time, eval: makeTime}
	}},
	{"sec_to_time", 1, 0, func(a []sql.Expression) *dateFunction {
		return &dateFunction{typ: types.Time, eval: func(ctx *sql.Context, v []any) (any, error) {
			s, err := toFloat(ctx, v[0])
			if err != nil {
				return nil, err
			}
			return timeOfMicros(int64(math.Round(s * 1e6))), nil
		}}
	}},
	{"period_add", 2, 0, func(a []sql.Expression) *dateFunction {
		return &dateFunction{typ: types.Int64, eval: func(ctx *sql.Context, v []any) (any, error) {
			p, n, err := twoInts(ctx, v)
			if err != nil || p == 0 {
				return int64(0), err
			}
			m := periodMonths(p) + n
			return m/12*100 + m%12 + 1, nil
		}}
	}},
	{"period_diff", 2, 0, func(a []sql.Expression) *dateFunction {
		return &dateFunction{typ: types.Int64, eval: func(ctx *sql.Context, v []any) (any, error) {
			p1, p2, err := twoInts(ctx, v)
			if err != nil {
				return nil, err
			}
			return periodMonths(p1) - periodMonths(p2), nil
		}}
	}},
	{"to_seconds", 1, 0, func(a []sql.Expression) *dateFunction {
		return &dateFunction{typ: types.Int64, eval: func(ctx *sql.Context, v []any) (any, error) {
			t, err := types.DatetimeMaxPrecision.ConvertWithoutRangeCheck(ctx, v[0])
			if err != nil {
				return nil, nil // MySQL: NULL with a warning for a non-date
			}
			// TO_DAYS(date) * 86400 plus the time of day.
			return t.Unix() - time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), nil
		}}
	}},
	{"makedate", 2, 0, func(a []sql.Expression) *dateFunction {
		return &dateFunction{typ: types.Date, eval: func(ctx *sql.Context, v []any) (any, error) {
			y, doy, err := twoInts(ctx, v)
			if err != nil || doy <= 0 || y < 0 {
				return nil, err
			}
			if y < 70 {
				y += 2000
			} else if y < 100 {
				y += 1900
			}
			t := time.Date(int(y), 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(doy-1))
			if t.Year() > 9999 {
				return nil, nil
			}
			return t, nil
		}}
	}},
	{"addtime", 2, 0, func(a []sql.Expression) *dateFunction { return addTime(a, 1) }},
	{"subtime", 2, 0, func(a []sql.Expression) *dateFunction { return addTime(a, -1) }},
	{"utc_date", 0, 1, func(a []sql.Expression) *dateFunction {
		return &dateFunction{typ: types.Date, eval: func(ctx *sql.Context, _ []any) (any, error) {
			t := ctx.QueryTime().UTC()
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}}
	}},
	{"utc_time", 0, 1, func(a []sql.Expression) *dateFunction {
		return &dateFunction{typ: types.Time, eval: func(ctx *sql.Context, _ []any) (any, error) {
			t := ctx.QueryTime().UTC()
			return timeOfMicros(int64(t.Hour()*3600+t.Minute()*60+t.Second()) * 1e6), nil
		}}
	}},
}

// registerDateFunctions adds dateFunctions to the engine's catalog.
func registerDateFunctions(reg interface {
	RegisterFunction(*sql.Context, ...sql.Function)
}) {
	for _, d := range dateFunctions {
		reg.RegisterFunction(sql.NewEmptyContext(), sql.FunctionN{Name: d.name, Fn: func(args ...sql.Expression) (sql.Expression, error) {
			if len(args) < d.arity || len(args) > d.arity+d.extra {
				return nil, sql.ErrInvalidArgumentNumber.New(strings.ToUpper(d.name), d.arity, len(args))
			}
			f := d.build(args)
			f.name, f.args = d.name, args
			return f, nil
		}})
	}
}

// makeTime is MAKETIME(hour, minute, second): NULL for a minute or second
// outside 0..59.
func makeTime(ctx *sql.Context, v []any) (any, error) {
	h, m, err := twoInts(ctx, v[:2])
	if err != nil {
		return nil, err
	}
	s, err := toFloat(ctx, v[2])
	if err != nil {
		return nil, err
	}
	if m < 0 || m > 59 || s < 0 || s >= 60 {
		return nil, nil
	}
	neg := h < 0
	if neg {
		h = -h
	}
	us := (h*3600+m*60)*1_000_000 + int64(math.Round(s*1e6))
	if neg {
		us = -us
	}
	return timeOfMicros(us), nil
}

// addTime is ADDTIME / SUBTIME: a DATETIME stays a DATETIME, anything else
// is read as a TIME.
func addTime(a []sql.Expression, sign int64) *dateFunction {
	first := a[0].Type()
	if types.IsTime(first) {
		return &dateFunction{typ: types.DatetimeMaxPrecision, eval: func(ctx *sql.Context, v []any) (any, error) {
			t, err := types.DatetimeMaxPrecision.ConvertWithoutRangeCheck(ctx, v[0])
			if err != nil {
				return nil, nil
			}
			d, err := types.Time.ConvertToTimespan(v[1])
			if err != nil {
				return nil, nil
			}
			return t.Add(time.Duration(sign*d.AsMicroseconds()) * time.Microsecond), nil
		}}
	}
	return &dateFunction{typ: types.LongText, eval: func(ctx *sql.Context, v []any) (any, error) {
		d, err := types.Time.ConvertToTimespan(v[1])
		if err != nil {
			return nil, nil
		}
		delta := time.Duration(sign*d.AsMicroseconds()) * time.Microsecond
		// A string with a date part is a DATETIME.
		if s, ok := v[0].(string); ok && strings.Count(s, "-") >= 2 {
			t, err := types.DatetimeMaxPrecision.ConvertWithoutRangeCheck(ctx, s)
			if err != nil {
				return nil, nil
			}
			return formatDatetime(t.Add(delta)), nil
		}
		t0, err := types.Time.ConvertToTimespan(v[0])
		if err != nil {
			return nil, nil
		}
		return timeOfMicros(t0.AsMicroseconds() + sign*d.AsMicroseconds()).String(), nil
	}}
}

func formatDatetime(t time.Time) string {
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

// timeOfMicros is a TIME value, clamped to TIME's range as MySQL does.
func timeOfMicros(us int64) types.Timespan {
	us = max(-maxTimeMicros, min(maxTimeMicros, us))
	return types.Time.MicrosecondsToTimespan(us)
}

// periodMonths turns a period YYMM or YYYYMM into months since year 0.
func periodMonths(p int64) int64 {
	y, m := p/100, p%100
	if y < 70 {
		y += 2000
	} else if y < 100 {
		y += 1900
	}
	return y*12 + m - 1
}

func twoInts(ctx *sql.Context, v []any) (int64, int64, error) {
	a, _, err := types.Int64.Convert(ctx, v[0])
	if err != nil {
		return 0, 0, fmt.Errorf("%v is not an integer", v[0])
	}
	b, _, err := types.Int64.Convert(ctx, v[1])
	if err != nil {
		return 0, 0, fmt.Errorf("%v is not an integer", v[1])
	}
	return a.(int64), b.(int64), nil
}

func toFloat(ctx *sql.Context, v any) (float64, error) {
	f, _, err := types.Float64.Convert(ctx, v)
	if err != nil {
		return 0, fmt.Errorf("%v is not a number", v)
	}
	return f.(float64), nil
}
