package compat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// Bounds of one client script run, and of its compression check (a
// server that mishandles compression leaves the client waiting).
const (
	scriptTimeout   = 2 * time.Minute
	compressTimeout = 10 * time.Second
)

// copyTables are the tables a script fills by reading testdata's types
// rows through the client and writing them back: types_text through the
// text protocol (client-side quoting), types_prep through server-side
// prepared statements (binary protocol). Both must equal types exactly.
var copyTables = []string{"types_text", "types_prep"}

// clientCase is one client: the interpreter and script to run, and what
// it must have printed, line by line, per feature.
type clientCase struct {
	name string
	// tool is the program to find on PATH (RequireTool); args follow it.
	tool string
	args []string
	// copies are the copy tables the script fills (see copyTables).
	copies []string
	// features maps a feature name to lines the output must contain. The
	// "compression" feature is checked by a second run of the script with
	// the argument "compress", bounded by compressTimeout.
	features map[string][]string
	// dependsOn lists server behaviours (gap* constants) every check of the
	// client needs; checkDependsOn those of one check (a feature name, or
	// "round trip TABLE"). Missing ones skip the checks (see probeGaps).
	dependsOn      []string
	checkDependsOn map[string][]string
	// needs is a file that must exist first (installed packages).
	needs, needsHint string
}

// commonLines are printed by every script: values decoded by the client,
// checked against what testdata/types.sql stored.
var commonLines = map[string][]string{
	"text": {
		"text rows: 4",
		"bi min: -9223372036854775808",
		"bu max: 18446744073709551615",
		"dc max: 99999999999999999999999999999999999.999999999999999999999999999999",
		"vc utf8: héllo wörld ✓ 😀",
		"tx utf8: 日本語のテキスト",
		"bl hex: 0000ff00",
		"bn hex: 00010200",
		"dtm: 9999-12-31 23:59:59.999999",
		"js: [1, null, \"x\"]",
	},
	"nulls":            {"null vs empty: NULL ''"},
	"multi-statements": {"multi: 1 2 3"},
	"tls":              {"tls: ok"},
}

func withLines(extra map[string][]string) map[string][]string {
	out := make(map[string][]string)
	for k, v := range commonLines {
		out[k] = append([]string(nil), v...)
	}
	for k, v := range extra {
		out[k] = append(out[k], v...)
	}
	return out
}

// phpClient is a PHP script on mysqlnd (mysqli and PDO check the same).
func phpClient(name, script string) clientCase {
	return clientCase{
		name: name, tool: "php", args: []string{script},
		copies: copyTables,
		checkDependsOn: map[string][]string{
			"round trip types_prep": {gapFloatDecimals},
			"compression":           {gapCompression},
		},
		features: withLines(map[string][]string{
			"prepared":    {"prepared rows: 4"},
			"compression": {"compress: 42"},
		}),
	}
}

// TestClients runs every client script against its own fresh server.
func TestClients(t *testing.T) {
	cases := []clientCase{
		{
			name: "mariadb-cli", tool: "bash", args: []string{"scripts/mariadb_cli.sh"},
			features: withLines(map[string][]string{
				"types":       {"types: match"},
				"prepared":    {"sql prepare: héllo wörld ✓ 😀"},
				"compression": {"compress: 42"},
				"procedures":  {"call: 1 2"},
			}),
		},
		{
			name: "python-pymysql", tool: "/usr/bin/python3", args: []string{"scripts/pymysql_client.py"},
			dependsOn: []string{gapBitCharset},
			copies:    []string{"types_text"},
			features:  withLines(map[string][]string{"procedures": {"call: 1 2"}}),
		},
		{
			// mysqlclient runs on libmariadb: the C library's protocol paths.
			name: "python-mysqldb", tool: "/usr/bin/python3", args: []string{"scripts/mysqldb_client.py"},
			needs: "/usr/lib/python3/dist-packages/MySQLdb/__init__.py", needsHint: "apt-get install python3-mysqldb",
			dependsOn: []string{gapBitCharset},
			copies:    []string{"types_text"},
			features: withLines(map[string][]string{
				"procedures":       {"call: 1 2"},
				"stored functions": {"function: 42"},
				"streaming":        {"streamed: 1 2 3 4"},
				"warnings":         {"warnings: 1"},
			}),
		},
		{
			name: "node-mysql2", tool: "node", args: []string{"node/mysql2_client.js"},
			needs: "node/node_modules/mysql2/package.json", needsHint: "npm ci --prefix compat/node",
			dependsOn: []string{gapBitCharset},
			copies:    copyTables,
			features: withLines(map[string][]string{
				"prepared":    {"prepared rows: 4"},
				"compression": {"compress: 42"},
			}),
		},
		phpClient("php-mysqli", "scripts/mysqli_client.php"),
		phpClient("php-pdo", "scripts/pdo_client.php"),
		{
			name: "ruby-mysql2", tool: "ruby", args: []string{"scripts/mysql2_client.rb"},
			copies:   copyTables,
			features: withLines(map[string][]string{"prepared": {"prepared rows: 4"}}),
		},
	}
	// One server without TLS for every compression check: guocedb offers
	// compression only without TLS.
	plain := startServerTLS(t, false, false)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runClient(t, tc, plain)
		})
	}
}

func runClient(t *testing.T, tc clientCase, plain *server) {
	tool := requireTool(t, tc.tool)
	if tc.needs != "" {
		if _, err := os.Stat(tc.needs); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required under CI=true (%s): %v", tc.needs, tc.needsHint, err)
			}
			t.Skipf("%s missing (run %s): %v", tc.needs, tc.needsHint, err)
		}
	}
	s := startServer(t, true)
	gaps := probeGaps(t, s)
	failOnGap(t, gaps, tc.dependsOn...)
	for _, tbl := range tc.copies {
		_, err := s.root.Exec(fmt.Sprintf("CREATE TABLE %s.%s LIKE %s.types", compatDB, tbl, compatDB))
		require.NoError(t, err)
	}
	code, out := runScript(t, s, scriptTimeout, tool, tc.args...)
	t.Logf("%s output:\n%s", tc.name, out)
	if _, ok := tc.features["compression"]; ok {
		if !offersCompression(t, plain.proc.MySQLAddr) {
			gaps[gapCompression] = true
		}
	}
	if _, ok := tc.features["compression"]; ok && !anyGap(gaps, tc.checkDependsOn["compression"]) {
		ccode, cout := runScript(t, plain, compressTimeout, tool, append(tc.args, "compress")...)
		t.Logf("%s compress (exit %d):\n%s", tc.name, ccode, cout)
		out += cout
	}
	// Every check below runs even when the script failed half-way: one
	// broken feature must not hide the state of the others.
	t.Run("exit status", func(t *testing.T) {
		require.Equal(t, 0, code, "%s exited %d", tc.name, code)
		require.Contains(t, out, "done\n", "the script stopped early")
	})

	want := tableText(t, s.root, compatDB, "types")
	require.Len(t, want, 4)
	for _, tbl := range tc.copies {
		t.Run("round trip "+tbl, func(t *testing.T) {
			failOnGap(t, gaps, tc.checkDependsOn["round trip "+tbl]...)
			require.Equal(t, want, tableText(t, s.root, compatDB, tbl), "%s differs from types", tbl)
		})
	}
	for _, feature := range slices.Sorted(maps.Keys(tc.features)) {
		t.Run(feature, func(t *testing.T) {
			failOnGap(t, gaps, tc.checkDependsOn[feature]...)
			for _, line := range tc.features[feature] {
				require.Contains(t, out, line+"\n", "%s: missing %q", feature, line)
			}
		})
	}
}

// anyGap reports whether gaps has one of deps.
func anyGap(gaps map[string]bool, deps []string) bool {
	for _, d := range deps {
		if gaps[d] {
			return true
		}
	}
	return false
}

// requireTool is testutil.RequireTool that also accepts an absolute path
// (the Debian python3, which has python3-pymysql, ahead of any other).
func requireTool(t *testing.T, tool string) string {
	t.Helper()
	if filepath.IsAbs(tool) {
		if _, err := os.Stat(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required under CI=true: %v", tool, err)
			}
			t.Skipf("%s not installed: %v", tool, err)
		}
		return tool
	}
	return testutil.RequireTool(t, tool)
}

// runScript runs tool args... in this directory with the server's COMPAT_*
// variables, bounded by timeout (-1 when it ran out), and returns exit
// code and output.
func runScript(t *testing.T, s *server, timeout time.Duration, tool string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Env = append(os.Environ(), s.env()...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return -1, string(out) + fmt.Sprintf("\n(killed after %s)\n", timeout)
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	default:
		t.Fatalf("run %s %v: %v\n%s", tool, args, err, out)
		return -1, ""
	}
}

// tableText returns schema.table ordered by id, every value in its text
// form ("<NULL>" for NULL): what the client wrote, byte for byte.
func tableText(t *testing.T, db *sql.DB, schema, table string) [][]string {
	t.Helper()
	rows, err := db.Query(fmt.Sprintf("SELECT * FROM %s.%s ORDER BY id", schema, table))
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out [][]string
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		dest := make([]any, len(cols))
		for i := range raw {
			dest[i] = &raw[i]
		}
		require.NoError(t, rows.Scan(dest...))
		row := make([]string, len(cols))
		for i, b := range raw {
			if b == nil {
				row[i] = "<NULL>"
			} else {
				row[i] = cols[i] + "=" + string(b)
			}
		}
		out = append(out, row)
	}
	require.NoError(t, rows.Err())
	return out
}
