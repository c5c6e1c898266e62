package acceptance

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPreparedSyntaxError: a statement that does not parse fails at
// COM_STMT_PREPARE with MySQL's 1064 and the position, not with vitess'
// internal "unknown error: Code: INVALID_ARGUMENT"; the connection goes on.
func TestPreparedSyntaxError(t *testing.T) {
	_, db := start(t)
	c := conn(t, db)
	err := execErr(c, "SELEKT ?", 1)
	requireErrCode(t, err, 1064)
	require.Contains(t, err.Error(), "syntax error at position")
	require.False(t, strings.Contains(err.Error(), "INVALID_ARGUMENT"), err.Error())
	require.Equal(t, "2", queryValue(t, c, "SELECT ? + 1", 1))
	requireErrCode(t, execErr(c, "SELECT * FROM (SELECT ?", 1), 1064)
	require.Equal(t, "3", queryValue(t, c, "SELECT ? + 1", 2))
	// Several statements in one COM_STMT_PREPARE: vitess' "unknown error:
	// cannot prepare multiple statements" becomes MySQL's 1064.
	err = execErr(c, "SELECT ?; SELECT 2", 1)
	requireErrCode(t, err, 1064)
	require.NotContains(t, err.Error(), "unknown error")
	require.Equal(t, "4", queryValue(t, c, "SELECT ? + 1", 3))
}
