package app_test

import (
	"fmt"
	guocetest "github.com/guocedb/guocedb/internal/testutil"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/exporter/testutil"
)

const ns = "guocedb_exporter"

const customFast = `
[[metric]]
context = "rows"
labels = ["v"]
request = "SELECT v, COUNT(*) AS n FROM t GROUP BY v"
metricsdesc = { n = "Rows of t by v." }

[[metric]]
context = "many"
labels = ["k"]
request = "SELECT seq AS k, seq AS val FROM seq_1_to_500"
metricsdesc = { val = "One series per row, to exercise the row cap." }
`

const customSlow = customFast + `
[[metric]]
context = "slow"
request = "SELECT SLEEP(30) AS s"
metricsdesc = { s = "A deliberately slow query." }
`

// fleet is the shared fixture: one MariaDB server with two monitoring
// users and databases, seen by the exporter as two datasources.
type fleet struct {
	maria *testutil.MariaDB
	a, b  testutil.SourceSpec
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	m := testutil.StartMariaDB(t)
	return &fleet{
		maria: m,
		a:     m.CreateUser(t, "maria_a", "exp_a", "pw-a", "db_a"),
		b:     m.CreateUser(t, "maria_b", "exp_b", "pw-b", "db_b"),
	}
}

// extraLiveSources adds a live guocedb server to the multi-source tests;
// every source returned must show up=1 and full built-in metrics.
func extraLiveSources(t *testing.T) []testutil.SourceSpec {
	t.Helper()
	addr, _ := guocetest.StartServer(t, guocetest.WithRootPassword("pw"))
	s, err := testutil.SourceFromDSN("guocedb", "root:pw@tcp("+addr+")/")
	require.NoError(t, err)
	return []testutil.SourceSpec{s}
}

func TestMultipleDatasources(t *testing.T) {
	f := newFleet(t)
	dead, err := testutil.SourceFromDSN("dead", fmt.Sprintf("nobody:pw@tcp(%s)/", testutil.DeadAddr(t)))
	require.NoError(t, err)
	dir := t.TempDir()
	slowFile := testutil.WriteFile(t, dir, "slow.toml", customSlow)
	fastFile := testutil.WriteFile(t, dir, "fast.toml", customFast)
	extras := extraLiveSources(t)

	tests := []struct {
		name string
		// queryTimeout of maria_a, whose custom file has the slow query.
		queryTimeout string
		// scrape timeout header sent, in seconds.
		header float64
		// the collection must end by about this long after the request.
		bound time.Duration
	}{
		// The scrape deadline (3s * 0.9) ends the slow query.
		{"scrape deadline", "20s", 3, 2700 * time.Millisecond},
		// The source's queryTimeout ends it first, on client and server.
		{"query timeout", "1s", 20, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := `scrapeTimeoutFraction = 0.9` + "\n" +
				testutil.SourceTOML(f.a, `customMetricsFile = "`+slowFile+`"`, `queryTimeout = "`+tc.queryTimeout+`"`, `checkSlowSQL = true`) +
				testutil.SourceTOML(f.b, `customMetricsFile = "`+fastFile+`"`, `labels = "env=test,team=b"`) +
				testutil.SourceTOML(dead)
			for _, e := range extras {
				doc += testutil.SourceTOML(e)
			}
			e := testutil.StartExporter(t, testutil.WriteFile(t, t.TempDir(), "exporter.toml", doc))

			fams, took := testutil.Scrape(t, e.URL+"/metrics", tc.header)
			// Bounded, not timed: generous slack for a loaded 2-core box.
			require.Less(t, took, tc.bound+2*time.Second, "the slow query delayed the scrape")

			up := ns + "_datasource_up"
			for _, live := range append([]testutil.SourceSpec{f.a, f.b}, extras...) {
				ds := map[string]string{"datasource": live.Name}
				v, ok := fams.Value(up, ds)
				require.True(t, ok, "no %s for %s", up, live.Name)
				require.Equal(t, 1.0, v, "%s down", live.Name)
				// Every collector that applies to the server's flavor ran and
				// succeeded; only the deliberately slow custom metric fails.
				ran := map[string]bool{}
				for _, s := range fams.Series(ns+"_collector_scrape_success", ds) {
					c := s.Labels["collector"]
					ran[c] = true
					if c != "custom_slow" {
						require.Equal(t, 1.0, s.Value, "%s: collector %s failed", live.Name, c)
					}
				}
				for _, c := range []string{"global_status", "global_variables", "processlist", "table_sizes"} {
					require.True(t, ran[c], "%s: collector %s did not run", live.Name, c)
				}
				require.Greater(t, familiesWithPrefix(fams, ns+"_global_status_", ds), 0, "%s: global status missing", live.Name)
				require.Greater(t, familiesWithPrefix(fams, ns+"_global_variables_", ds), 0, "%s: global variables missing", live.Name)
			}
			v, ok := fams.Value(up, map[string]string{"datasource": "dead"})
			require.True(t, ok)
			require.Equal(t, 0.0, v)
			require.Zero(t, fams.Count(ns+"_global_status_uptime", map[string]string{"datasource": "dead"}))

			// Configured labels are const labels of every series of the source.
			_, ok = fams.Value(up, map[string]string{"datasource": "maria_b", "env": "test", "team": "b"})
			require.True(t, ok, "labels of maria_b missing")

			// Custom metrics: the fast ones are served on both sources, the
			// slow one failed on maria_a only.
			for _, ds := range []string{"maria_a", "maria_b"} {
				v, ok := fams.Value(ns+"_custom_rows_n", map[string]string{"datasource": ds, "v": "b"})
				require.True(t, ok, "%s: custom metric missing", ds)
				require.Equal(t, 2.0, v)
				// The row cap (default 100) drops the excess of 500 rows.
				require.Equal(t, 100, fams.Count(ns+"_custom_many_val", map[string]string{"datasource": ds}))
			}
			v, ok = fams.Value(ns+"_collector_scrape_success", map[string]string{"datasource": "maria_a", "collector": "custom_slow"})
			require.True(t, ok)
			require.Equal(t, 0.0, v)
			v, ok = fams.Value(ns+"_datasource_scrape_errors_total", map[string]string{"datasource": "maria_a", "collector": "custom_slow"})
			require.True(t, ok)
			require.Equal(t, 1.0, v)
			_, ok = fams.Value(ns+"_slow_queries_running", map[string]string{"datasource": "maria_a"})
			require.True(t, ok, "slow SQL group missing")
		})
	}

	t.Run("server-side timeout stops the slow statement", func(t *testing.T) {
		// After the "query timeout" case, max_statement_time=1 has killed the
		// SLEEP on the server; without it the statement would run 30s.
		testutil.WaitFor(t, 10*time.Second, 200*time.Millisecond, "slow statement to end on the server", func() bool {
			return f.maria.QueryInt(t, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SET STATEMENT max_statement_time=1.000%'") == 0
		})
	})
}

// familiesWithPrefix counts the families named prefix* with a series
// matching want.
func familiesWithPrefix(fams testutil.Families, prefix string, want map[string]string) int {
	n := 0
	for name := range fams {
		if strings.HasPrefix(name, prefix) && fams.Count(name, want) > 0 {
			n++
		}
	}
	return n
}

func TestCollectStrategies(t *testing.T) {
	f := newFleet(t)
	tests := []struct{ strategy string }{{"concurrent"}, {"serial"}, {"hybrid"}}
	for _, tc := range tests {
		t.Run(tc.strategy, func(t *testing.T) {
			dead, err := testutil.SourceFromDSN("dead", fmt.Sprintf("nobody:pw@tcp(%s)/", testutil.DeadAddr(t)))
			require.NoError(t, err)
			doc := fmt.Sprintf("collectStrategy = %q\nmaxConcurrentGroups = 1\ngroupTimeout = \"5s\"\n", tc.strategy) +
				testutil.SourceTOML(f.a, "priority = 1") + testutil.SourceTOML(dead, "priority = 2") + testutil.SourceTOML(f.b, "priority = 3")
			e := testutil.StartExporter(t, testutil.WriteFile(t, t.TempDir(), "exporter.toml", doc))
			fams, _ := testutil.Scrape(t, e.URL+"/metrics", 10)
			for ds, want := range map[string]float64{"maria_a": 1, "maria_b": 1, "dead": 0} {
				v, ok := fams.Value(ns+"_datasource_up", map[string]string{"datasource": ds})
				require.True(t, ok, ds)
				require.Equal(t, want, v, ds)
			}
			require.Equal(t, 2, fams.Count(ns+"_global_status_uptime", nil))
		})
	}
}
