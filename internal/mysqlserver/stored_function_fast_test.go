package mysqlserver

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReturnOnlyText: which bodies are built once (stored_function_fast.go)
// and how their parameters become bind variables.
func TestReturnOnlyText(t *testing.T) {
	params := []funcParam{{name: "x"}, {name: "day"}}
	for _, tc := range []struct {
		body, want string
		ok         bool
	}{
		{"RETURN x * 2", "SELECT :guocedb_arg0 * 2", true},
		{"RETURN `x` + t.x + @x + x(1) + 'x'", "SELECT :guocedb_arg0 + t.x + @x + x(1) + 'x'", true},
		{"return CONCAT(x, \"x\") -- x", "SELECT CONCAT(:guocedb_arg0, \"x\") -- x", true},
		{"RETURN DATE_ADD(x, INTERVAL 1 DAY)", "SELECT DATE_ADD(:guocedb_arg0, INTERVAL 1 :guocedb_arg1)", true},
		{"RETURN (SELECT COUNT(*) FROM t WHERE v > x)", "", false},
		{"BEGIN RETURN x; END", "", false},
		{"RETURN x; SELECT 1", "", false},
	} {
		got, ok := returnOnlyText(tc.body, params)
		require.Equal(t, tc.ok, ok, tc.body)
		require.Equal(t, tc.want, got, tc.body)
	}
}
