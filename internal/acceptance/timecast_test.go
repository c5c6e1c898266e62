package acceptance

import (
	"github.com/stretchr/testify/require"
	"testing"
	"time"
)

// CAST(x AS TIME) of a date and time takes its time part, for a DATETIME
// parameter (go-sql-driver sends time.Time as one) and for a string alike.
func TestCastDatetimeToTime(t *testing.T) {
	_, db := start(t)
	at := time.Date(2011, 11, 20, 21, 27, 37, 123456000, time.UTC)
	cases := []struct {
		query string
		arg   any
		want  string
	}{
		{"SELECT CAST(? AS TIME)", at, "21:27:37"},
		{"SELECT CAST(? AS TIME)", time.Time{}.Add(12345 * time.Second), "03:25:45"},
		{"SELECT CAST(? AS TIME)", "2011-11-20 21:27:37", "21:27:37"},
		{"SELECT CAST('2011-11-20 21:27:37' AS TIME)", nil, "21:27:37"},
		{"SELECT CAST(? AS TIME)", "12:34:56", "12:34:56"},
		{"SELECT CAST(? AS TIME)", "-838:59:59", "-838:59:59"},
		{"SELECT CAST(? AS TIME)", "not a time", null},
	}
	for _, tc := range cases {
		var args []any
		if tc.arg != nil {
			args = append(args, tc.arg)
		}
		require.Equal(t, tc.want, queryValue(t, db, tc.query, args...), "%s with %v", tc.query, tc.arg)
	}
}
