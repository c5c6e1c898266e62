package mysqlserver

import (
	"fmt"
	"strconv"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// Correction of go-mysql-server: date strings written into DATE,
// DATETIME and TIMESTAMP columns.
//
// Upstream: go-mysql-server v0.20.0 accepts '-' between date parts and
// ':' between time parts only, and refuses an invalid date with 1292 in
// every sql_mode: '10:11:12' into a DATETIME and '2009-2-29' without
// strict mode both fail.
//
// MySQL: "any punctuation character may be used as the delimiter between
// date parts or time parts" ('10:11:12' is 2010-11-12 00:00:00, two-digit
// years 70-99 are 19xx, 00-69 20xx); without strict mode an invalid date
// is stored as the zero date with warning 1265 (strict mode keeps 1292;
// so does NO_ZERO_DATE here, and INSERT IGNORE under it, where MySQL
// stores the zero date with a warning).
//
// Written values of those columns (INSERT ... VALUES, UPDATE ... SET) are
// wrapped by checkedValue (strict_mode.go) in relaxedDate, which tries
// the relaxed reading when go-mysql-server's fails. Delete this when
// go-mysql-server parses relaxed dates and honours the sql_mode there.

// relaxedDate is a value written into a date or time-of-day column.
// zeroDate is set when an invalid date becomes the zero date (neither
// strict mode nor NO_ZERO_DATE).
type relaxedDate struct {
	sql.Expression
	col      *sql.Column
	zeroDate bool
}

func (r *relaxedDate) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := r.Expression.Eval(ctx, row)
	if err != nil {
		return v, err
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
	if _, _, err := r.col.Type.Convert(ctx, s); err == nil {
		return v, nil
	}
	if d, ok := relaxedDateString(s, !types.IsDateType(r.col.Type)); ok {
		if _, _, err := r.col.Type.Convert(ctx, d); err == nil {
			return d, nil
		}
	}
	if !r.zeroDate {
		return v, nil // go-mysql-server's 1292
	}
	ctx.Warn(1265, "Data truncated for column '%s' at row 1", r.col.Name)
	if types.IsDateType(r.col.Type) {
		return "0000-00-00", nil
	}
	return "0000-00-00 00:00:00", nil
}

func (r *relaxedDate) WithChildren(ch ...sql.Expression) (sql.Expression, error) {
	if len(ch) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(r, len(ch), 1)
	}
	cp := *r
	cp.Expression = ch[0]
	return &cp, nil
}

func (r *relaxedDate) Children() []sql.Expression { return []sql.Expression{r.Expression} }

// relaxedDateString reads s as year, month, day and, with withTime,
// optionally hour, minute, second, separated by any punctuation, and
// returns it as YYYY-MM-DD[ hh:mm:ss]; ok is false when s is not such a
// string (the values are not checked).
func relaxedDateString(s string, withTime bool) (string, bool) {
	var parts []string
	var yearDigits int
	start := -1
	for i := 0; i <= len(s); i++ {
		digit := i < len(s) && s[i] >= '0' && s[i] <= '9'
		switch {
		case digit && start < 0:
			start = i
		case !digit && start >= 0:
			if len(parts) == 0 {
				yearDigits = i - start
			}
			parts = append(parts, s[start:i])
			start = -1
			if i < len(s) && !isDatePunct(s[i]) {
				return "", false
			}
		case !digit && i < len(s) && !isDatePunct(s[i]):
			return "", false
		}
	}
	if len(parts) != 3 && !(withTime && len(parts) == 6) {
		return "", false
	}
	n := make([]int, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || len(p) > 4 {
			return "", false
		}
		n[i] = v
	}
	if yearDigits <= 2 {
		if n[0] < 70 {
			n[0] += 2000
		} else {
			n[0] += 1900
		}
	}
	out := fmt.Sprintf("%04d-%02d-%02d", n[0], n[1], n[2])
	if len(n) == 6 {
		out += fmt.Sprintf(" %02d:%02d:%02d", n[3], n[4], n[5])
	}
	return out, true
}

// isDatePunct reports whether b may separate the parts of a date or time
// string: punctuation, or the space or T between date and time.
func isDatePunct(b byte) bool {
	switch {
	case b == ' ' || b == 'T':
		return true
	case b >= '!' && b <= '/', b >= ':' && b <= '@', b >= '[' && b <= '`', b >= '{' && b <= '~':
		return true
	}
	return false
}
