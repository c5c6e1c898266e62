package acceptance

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDateFunctions: MySQL's date and time functions go-mysql-server
// lacks, with MySQL 8.0's results.
func TestDateFunctions(t *testing.T) {
	_, db := start(t)
	runCases(t, db, []sqlCase{
		{name: "maketime", query: "SELECT MAKETIME(12, 15, 30), MAKETIME(-1, 2, 3), MAKETIME(1, 60, 0), MAKETIME(900, 0, 0)",
			want: [][]string{{"12:15:30", "-01:02:03", null, "838:59:59"}}},
		{name: "maketime null", query: "SELECT MAKETIME(NULL, 1, 1)", want: [][]string{{null}}},
		{name: "sec_to_time", query: "SELECT SEC_TO_TIME(3661), SEC_TO_TIME(-90), SEC_TO_TIME(4000000)",
			want: [][]string{{"01:01:01", "-00:01:30", "838:59:59"}}},
		{name: "period_add", query: "SELECT PERIOD_ADD(202401, 2), PERIOD_ADD(9912, 1), PERIOD_ADD(202401, -13)",
			want: [][]string{{"202403", "200001", "202212"}}},
		{name: "period_diff", query: "SELECT PERIOD_DIFF(202403, 202311), PERIOD_DIFF(9901, 200001)",
			want: [][]string{{"4", "-12"}}},
		{name: "to_seconds", query: "SELECT TO_SECONDS('2024-01-01'), TO_SECONDS('2024-01-01 00:00:10'), TO_DAYS('2024-01-01') * 86400",
			want: [][]string{{"63871286400", "63871286410", "63871286400"}}},
		{name: "makedate", query: "SELECT MAKEDATE(2024, 60), MAKEDATE(24, 1), MAKEDATE(2024, 0)",
			want: [][]string{{"2024-02-29", "2024-01-01", null}}},
		{name: "addtime", query: "SELECT ADDTIME('01:00:00', '00:30:15'), SUBTIME('01:00:00', '02:00:00'), ADDTIME('2024-12-31 23:59:59', '00:00:01')",
			want: [][]string{{"01:30:15", "-01:00:00", "2025-01-01 00:00:00"}}},
		{name: "utc", query: "SELECT UTC_DATE() = DATE(UTC_TIMESTAMP()), UTC_TIME() IS NOT NULL", want: [][]string{{"1", "1"}}},
	})
}

// TestDiagnostics: SHOW ERRORS, SHOW COUNT(*) ERRORS and SHOW COUNT(*)
// WARNINGS read the last statement's diagnostics without clearing them.
func TestDiagnostics(t *testing.T) {
	_, db := start(t)
	c := conn(t, db)
	queryRows(t, c, "SELECT 1/0")
	require.Equal(t, "1", queryValue(t, c, "SHOW COUNT(*) WARNINGS"))
	require.Equal(t, "0", queryValue(t, c, "SHOW COUNT(*) ERRORS"))
	require.Equal(t, [][]string{}, queryRows(t, c, "SHOW ERRORS"))
	requireErrCode(t, queryErr(c, "SELECT * FROM nosuch.t"), 1049)
	want := [][]string{{"Error", "1049", "database not found: nosuch"}}
	require.Equal(t, want, queryRows(t, c, "SHOW ERRORS"))
	require.Equal(t, "1", queryValue(t, c, "SHOW COUNT(*) ERRORS"))
	require.Equal(t, "1", queryValue(t, c, "SHOW COUNT(*) WARNINGS"))
	require.Equal(t, want, queryRows(t, c, "SHOW WARNINGS"))
	require.Equal(t, [][]string{}, queryRows(t, c, "SHOW ERRORS LIMIT 0"))
	require.Equal(t, want, queryRows(t, c, "SHOW ERRORS LIMIT 0, 5"))
	// A later statement clears them.
	require.Equal(t, "1", queryValue(t, c, "SELECT 1"))
	require.Equal(t, "0", queryValue(t, c, "SHOW COUNT(*) ERRORS"))
}
