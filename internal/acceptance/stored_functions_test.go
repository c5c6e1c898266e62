package acceptance

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStoredFunctionsRefused: CREATE FUNCTION is not supported yet; it
// fails with MySQL's 1235 (not supported yet) naming the feature, in the
// text and the binary protocol, and the connection goes on. Statements
// that merely mention a function still parse as before.
func TestStoredFunctionsRefused(t *testing.T) {
	_, db := start(t)
	c := conn(t, db)
	for _, q := range []string{
		"CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC BEGIN DECLARE y INT; SET y = x * 2; RETURN y; END",
		"CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN x * 2",
		"/* c */ CREATE DEFINER = `root`@`%` FUNCTION f() RETURNS INT RETURN 1",
	} {
		err := execErr(c, q)
		requireErrCode(t, err, 1235, q)
		require.Contains(t, err.Error(), "CREATE FUNCTION")
		// With a placeholder the driver prepares: vitess parses first.
		err = execErr(c, q+" -- ?", 1)
		require.Error(t, err)
		requireErrCode(t, execErr(c, "CREATE FUNCTION g(x INT) RETURNS INT RETURN x + ?", 1), 1235)
	}
	requireErrCode(t, execErr(c, "CREATE FUNCTON f() RETURNS INT RETURN 1"), 1064)
	require.Equal(t, "1", queryValue(t, c, "SELECT 1"))
}
