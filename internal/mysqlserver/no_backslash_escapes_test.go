package mysqlserver

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLiteralBackslashes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT 'a\b'`, `SELECT 'a\\b'`},
		{`SELECT 'C:\dir\'`, `SELECT 'C:\\dir\\'`},
		{`SELECT 'it''s\', "x\y"`, `SELECT 'it''s\\', "x\\y"`},
		{"SELECT `a\\b`, 1 -- c\\d\n", "SELECT `a\\b`, 1 -- c\\d\n"},
		{`SELECT /* \ */ 'x'`, `SELECT /* \ */ 'x'`},
		{`SELECT 1`, `SELECT 1`},
		{`SELECT 'unterminated\`, `SELECT 'unterminated\\`},
	} {
		got := literalBackslashes(tc.in)
		require.Equal(t, tc.want, got, tc.in)
		require.Equal(t, tc.in, unliteralBackslashes(got), tc.in)
	}
}
