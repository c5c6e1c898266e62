package custom

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCheckRequest(t *testing.T) {
	tests := []struct {
		q  string
		ok bool
	}{
		{"SELECT 1", true},
		{"select status, count(*) as c from shop.orders where id > 3 group by status order by c desc limit 10", true},
		{"SELECT a FROM t1 UNION ALL SELECT b FROM t2", true},
		{"(SELECT 1) UNION (SELECT 2)", true},
		{"SELECT * FROM (SELECT 1 AS a) AS d", true},
		{"WITH x AS (SELECT 1 AS a) SELECT a FROM x", true},
		{"SELECT SLEEP(2) AS s", true},
		{"SELECT * FROM information_schema.PROCESSLIST WHERE TIME > 1", true},
		{"SELECT 1;", true},
		{"SELECT 1; SELECT 2", false},
		{"SELECT 1; DROP TABLE t", false},
		{"DELETE FROM t", false},
		{"UPDATE t SET a = 1", false},
		{"INSERT INTO t VALUES (1)", false},
		{"SELECT * FROM t FOR UPDATE", false},
		{"SELECT * FROM t LOCK IN SHARE MODE", false},
		{"SELECT a INTO @x FROM t", false},
		{"SELECT * FROM t INTO OUTFILE '/tmp/x'", false},
		{"SHOW TABLES", false},
		{"SET GLOBAL max_connections = 1", false},
		{"CALL p()", false},
		{"", false},
		{"SELEC 1", false},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			err := CheckRequest(tc.q)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrNotReadOnly)
			}
		})
	}
}

func TestWithServerTimeout(t *testing.T) {
	tests := []struct {
		flavor, q, want string
	}{
		{"mariadb", " SELECT 1 ", "SET STATEMENT max_statement_time=1.500 FOR SELECT 1"},
		{"mysql", "select a from t", "SELECT /*+ MAX_EXECUTION_TIME(1500) */ a from t"},
		{"mysql", "(SELECT 1)", "(SELECT 1)"},
		{"guocedb", "SELECT 1", "SELECT 1"},
	}
	for _, tc := range tests {
		t.Run(tc.flavor+tc.q, func(t *testing.T) {
			require.Equal(t, tc.want, WithServerTimeout(tc.flavor, tc.q, 1500*time.Millisecond))
		})
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestLoadFileAndConsistency(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.toml", `
[[metric]]
context = "orders"
labels = ["status"]
request = "SELECT status, COUNT(*) AS total FROM shop.orders GROUP BY status"
metricsdesc = { total = "Orders by status." }
metricstype = { total = "gauge" }
`)
	b := writeFile(t, dir, "b.toml", `
[[metric]]
context = "orders"
request = "SELECT COUNT(*) AS total FROM shop.orders"
metricsdesc = { total = "Another help." }
metricstype = { total = "counter" }
`)
	bad := writeFile(t, dir, "bad.toml", `
[[metric]]
context = "x"
request = "DELETE FROM t"
metricsdesc = { v = "" }
metricstype = { w = "histogram" }
labels = ["v"]
`)
	unknown := writeFile(t, dir, "unknown.toml", "[[metric]]\ncontext = \"x\"\nrequets = \"SELECT 1\"\n")

	ma, err := LoadFile(a)
	require.NoError(t, err)
	require.Len(t, ma, 1)
	require.Equal(t, "guocedb_exporter_custom_orders_total", Family("guocedb_exporter", "orders", "total"))
	mb, err := LoadFile(b)
	require.NoError(t, err)
	require.NoError(t, CheckConsistency("ns", ma))

	err = CheckConsistency("ns", append(ma, mb...))
	require.Error(t, err)
	require.Contains(t, err.Error(), "ns_custom_orders_total has help")
	require.Contains(t, err.Error(), "has type gauge")

	_, err = LoadFile(bad)
	require.Error(t, err)
	for _, want := range []string{`key "request"`, `needs a help text`, `not in metricsdesc`, `also a value column`} {
		require.Contains(t, err.Error(), want)
	}
	_, err = LoadFile(unknown)
	require.ErrorContains(t, err, "requets")
}
