package acceptance

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGetDiagnostics: GET DIAGNOSTICS at top level reads the previous
// statement's diagnostics area into user variables without clearing it
// (vitess' grammar has no GET DIAGNOSTICS: it was a syntax error).
func TestGetDiagnostics(t *testing.T) {
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE d")
	c := conn(t, db)
	ctx := context.Background()
	exec := func(q string) error {
		_, err := c.ExecContext(ctx, q)
		return err
	}

	requireErrCode(t, exec("SELECT * FROM d.no_such_table"), 1146)
	require.NoError(t, exec("GET DIAGNOSTICS @n = NUMBER"))
	require.NoError(t, exec("GET CURRENT DIAGNOSTICS CONDITION 1 @no = MYSQL_ERRNO, @st = RETURNED_SQLSTATE, @msg = MESSAGE_TEXT, @co = CLASS_ORIGIN"))
	require.NoError(t, exec("get diagnostics condition 2 @unset = MYSQL_ERRNO"), "a condition beyond the area changes nothing")
	require.Equal(t, [][]string{{"1", "1146", "42S02", "ISO 9075", null}},
		queryRows(t, c, "SELECT @n, @no, @st, @co, @unset"))
	require.Contains(t, queryValue(t, c, "SELECT @msg"), "no_such_table")

	// A warning, then the statement information of a clean statement.
	queryRows(t, c, "SELECT 1/0")
	require.NoError(t, exec("GET DIAGNOSTICS CONDITION 1 @no = MYSQL_ERRNO, @st = RETURNED_SQLSTATE"))
	require.Equal(t, [][]string{{"1365", "22012"}}, queryRows(t, c, "SELECT @no, @st"))
	queryRows(t, c, "SELECT 1")
	require.NoError(t, exec("GET DIAGNOSTICS @n = NUMBER"))
	require.Equal(t, "0", queryValue(t, c, "SELECT @n"))

	// Multi-statement, and the errors MySQL gives.
	rows, err := c.QueryContext(ctx, "SELECT 1/0; GET DIAGNOSTICS @n = NUMBER; SELECT @n")
	require.NoError(t, err)
	_, sets, err := resultSets(t, rows)
	require.NoError(t, err)
	require.Equal(t, [][][]string{{{null}}, {{"1"}}}, sets)
	requireErrCode(t, exec("GET STACKED DIAGNOSTICS @n = NUMBER"), 1887)
	requireErrCode(t, exec("GET DIAGNOSTICS @n = MYSQL_ERRNO"), 1064)
	requireErrCode(t, exec("GET DIAGNOSTICS CONDITION 1 @n = NUMBER"), 1064)
	requireAlive(t, db)
}
