package compat

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// capiCheck is one line the C program (capi/capi_client.c) must print, as
// it prints against MySQL 8.0. gap, when set, names why guocedb does not
// print it yet: the check is skipped with that reason (the same list is
// in docs/compatibility.md) and runs again once the gap is closed.
type capiCheck struct {
	name, line, gap string
}

var capiChecks = []capiCheck{
	{name: "cursor", line: "cursor: 5 rows 1=one 2=two 3=three 4=four 5=five"},
	{name: "cursor executed twice", line: "cursor again: 5 rows"},
	{name: "CALL with a cursor", line: "call with cursor: 1 2 sets 3"},
	{name: "cursors interleaved", line: "cursors interleaved: a1 count5 b5 a2 b4 a3 b3 a4 b2 a5 b1 a-"},
	{name: "send long data", line: "long data: 100000"},
	{name: "stmt reset", line: "stmt reset: kept"},
	{name: "out parameters of a prepared CALL", line: "out params: 40"},
	{name: "expression metadata", line: "field expr: name=expr org_name='' table='' org_table='' db=''"},
	{name: "column metadata", line: "field col: name=name org_name=name table=it org_table=capi_items db=compat length=80"},
	{name: "list fields", line: "list fields: id name"},
	{name: "warning count", line: "warning count: 1"},
	{name: "show warnings", line: "show warnings: Warning 1365"},
	{name: "show count warnings", line: "show count warnings: 1"},
	{name: "show errors", line: "show errors: Error 1146"},
	{name: "show count errors", line: "show count errors: 1"},
	{name: "autocommit at connect", line: "autocommit at connect: 1"},
	{name: "in transaction", line: "in transaction: 1"},
	{name: "after commit", line: "after commit: 0"},
	{name: "no backslash escapes", line: "no backslash escapes: 1"},
	{name: "escaping follows the flag", line: "escaped: a''b\\c"},
	{name: "backslash escapes again", line: "backslash escapes again: 0"},
	{name: "insert id of a multi-row insert", line: "insert id multi: 1 affected 3"},
	{name: "insert id of an explicit id", line: "insert id explicit: 100"},
	{name: "insert id after an explicit id", line: "insert id next: 101"},
	{name: "insert id of an update", line: "insert id none: 0"},
	{name: "stored function", line: "stored function: 42"},
	{name: "get diagnostics", line: "get diagnostics: 1146"},
	{name: "maketime", line: "maketime: 12:15:30"},
	{name: "sec_to_time", line: "sec_to_time: 01:01:01"},
	{name: "period_add", line: "period_add: 202403"},
	{name: "to_days", line: "to_days: 739251"},
	{name: "last_day", line: "last_day: 2024-02-29"},
	{name: "str_to_date", line: "str_to_date: 2024-12-31"},
	{name: "timestampdiff", line: "timestampdiff: 2"},
	{name: "time string into datetime", line: "time into datetime: accepted"},
	{name: "invalid date without strict mode", line: "bad date non-strict: 0000-00-00"},
	{name: "invalid date in strict mode", line: "bad date strict: ERROR 1292"},
	{name: "year string", line: "year string: 2024"},
	{name: "COM_REFRESH", line: "refresh: ok"},
	{name: "COM_RESET_CONNECTION", line: "reset connection: cleared"},
	{name: "COM_CHANGE_USER", line: "change user: compat@% compat"},
	{name: "COM_CHANGE_USER with a wrong password", line: "change user bad password: 1045"},
}

// TestCAPI builds a small C program against the MariaDB C library
// (libmariadb-dev) and runs it against a fresh server, without TLS and
// over TLS: the protocol paths of libmariadb/libmysqlclient (cursors,
// long data, COM_REFRESH, COM_CHANGE_USER, status flags, ...), which
// every C-based driver uses.
func TestCAPI(t *testing.T) {
	cc := testutil.RequireTool(t, "cc")
	config := testutil.RequireTool(t, "mariadb_config")
	bin := filepath.Join(t.TempDir(), "capi_client")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	flags, err := exec.CommandContext(ctx, config, "--cflags", "--libs").Output()
	require.NoError(t, err, "mariadb_config")
	args := append([]string{"-Wall", "-Werror", "-o", bin, filepath.Join("capi", "capi_client.c")}, strings.Fields(string(flags))...)
	out, err := exec.CommandContext(ctx, cc, args...).CombinedOutput()
	require.NoError(t, err, "cc: %s", out)

	for _, withTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "TLS"}[withTLS], func(t *testing.T) {
			s := startServerTLS(t, false, withTLS)
			code, got := runScript(t, s, scriptTimeout, bin)
			t.Logf("capi_client output:\n%s", got)
			t.Run("exit status", func(t *testing.T) {
				require.Equal(t, 0, code)
				require.Contains(t, got, "done\n", "the program stopped early")
			})
			t.Run("transport", func(t *testing.T) {
				require.Contains(t, got, map[bool]string{false: "tls: off\n", true: "tls: on\n"}[withTLS])
			})
			for _, c := range capiChecks {
				t.Run(c.name, func(t *testing.T) {
					if c.gap != "" {
						t.Skip("known gap: " + c.gap)
					}
					require.Contains(t, got, c.line+"\n")
				})
			}
		})
	}
}
