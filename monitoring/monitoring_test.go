package monitoring_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/guocedb/guocedb/internal/exporter/testutil"
	guocetest "github.com/guocedb/guocedb/internal/testutil"
)

// TestAlertRules runs promtool on the rules and their unit tests.
func TestAlertRules(t *testing.T) {
	promtool := guocetest.RequireTool(t, "promtool")
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		require.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
		require.Contains(t, string(out), "SUCCESS")
	}
}

// dashboard is what the tests read of a Grafana dashboard.
type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Datasource *datasourceRef  `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource *datasourceRef `json:"datasource"`
	GridPos    struct{ H, W, X, Y int }
	Targets    []struct {
		Expr       string         `json:"expr"`
		Datasource *datasourceRef `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

func loadDashboards(t *testing.T) map[string]dashboard {
	files, err := filepath.Glob("dashboards/*.json")
	require.NoError(t, err)
	require.Len(t, files, 2, "guocedb and guocedb-exporter")
	out := map[string]dashboard{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		var d dashboard
		require.NoError(t, json.Unmarshal(raw, &d), f)
		out[f] = d
	}
	return out
}

// TestDashboards: valid JSON with a title and uid, a Prometheus
// datasource variable that every query uses (no hard-coded datasource
// uid), panels on Grafana's 24-column grid with unique ids, and a query
// in every data panel.
func TestDashboards(t *testing.T) {
	uids := map[string]bool{}
	for f, d := range loadDashboards(t) {
		t.Run(f, func(t *testing.T) {
			require.NotEmpty(t, d.Title)
			require.NotEmpty(t, d.UID)
			require.False(t, uids[d.UID], "uid %s used twice", d.UID)
			uids[d.UID] = true
			var hasDS bool
			for _, v := range d.Templating.List {
				if v.Name == "datasource" {
					hasDS = true
					require.Equal(t, "datasource", v.Type)
					require.JSONEq(t, `"prometheus"`, string(v.Query))
				}
				if v.Datasource != nil {
					require.Equal(t, datasourceRef{"prometheus", "${datasource}"}, *v.Datasource, "variable %s", v.Name)
				}
			}
			require.True(t, hasDS, "a datasource variable")
			ids := map[int]bool{}
			for _, p := range d.Panels {
				require.False(t, ids[p.ID], "panel id %d twice", p.ID)
				ids[p.ID] = true
				require.LessOrEqual(t, p.GridPos.X+p.GridPos.W, 24, p.Title)
				require.Positive(t, p.GridPos.H, p.Title)
				require.NotEmpty(t, p.Title, "panel %d", p.ID)
				switch p.Type {
				case "row", "text":
					require.Empty(t, p.Targets, p.Title)
					continue
				}
				require.NotNil(t, p.Datasource, p.Title)
				require.Equal(t, datasourceRef{"prometheus", "${datasource}"}, *p.Datasource, p.Title)
				require.NotEmpty(t, p.Targets, p.Title)
				for _, tg := range p.Targets {
					require.NotEmpty(t, tg.Expr, p.Title)
					if tg.Datasource != nil {
						require.Equal(t, datasourceRef{"prometheus", "${datasource}"}, *tg.Datasource, p.Title)
					}
				}
			}
		})
	}
}

// usedMetrics returns every metric name the dashboards and the rules use,
// with where each is used.
func usedMetrics(t *testing.T) map[string][]string {
	used := map[string][]string{}
	add := func(where string, names []string) {
		for _, n := range names {
			used[n] = append(used[n], where)
		}
	}
	for f, d := range loadDashboards(t) {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				add(f+": "+p.Title, metricNames(tg.Expr))
			}
		}
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			var q struct{ Query string }
			if err := json.Unmarshal(v.Query, &q); err != nil {
				var s string
				require.NoError(t, json.Unmarshal(v.Query, &s))
				q.Query = s
			}
			add(f+": variable "+v.Name, grafanaQueryNames(q.Query))
		}
	}
	raw, err := os.ReadFile("alerts.yml")
	require.NoError(t, err)
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &rules))
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			add("alerts.yml: "+r.Alert, metricNames(r.Expr))
		}
	}
	return used
}

// exported adds the names a scrape's families give to PromQL: histograms
// and summaries as _bucket, _sum and _count too.
func exported(names map[string]bool, fams map[string]*dto.MetricFamily) {
	for name, f := range fams {
		names[name] = true
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[name+"_sum"], names[name+"_count"] = true, true
		}
	}
}

// TestMetricsExist scrapes a real guocedb and a real guocedb-exporter
// watching it, and requires every metric name of the dashboards and the
// rules in one of the two (or to be Prometheus' own up).
func TestMetricsExist(t *testing.T) {
	var httpAddr string
	addr, db := guocetest.StartServer(t, guocetest.WithRootPassword("pw"), guocetest.WithHTTPAddr(&httpAddr))
	// Labelled series appear once counted: an error, a transaction.
	for _, q := range []string{
		"CREATE DATABASE m", "CREATE TABLE m.t (id INT PRIMARY KEY)", "INSERT INTO m.t VALUES (1)",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	_, err := db.Exec("SELECT * FROM m.no_such_table")
	require.Error(t, err)

	names := map[string]bool{"up": true} // Prometheus adds up to every target
	fams, _ := testutil.Scrape(t, "http://"+httpAddr+"/metrics", 0)
	exported(names, fams)

	src, err := testutil.SourceFromDSN("guocedb-1", "root:pw@tcp("+addr+")/")
	require.NoError(t, err)
	// A custom metric over a missing table fails every scrape, which makes
	// the error counter appear. One connection: go-mysql-server v0.20.0
	// races on concurrent information_schema queries (its shared
	// information_schema tables), which the collectors would otherwise run.
	dir := t.TempDir()
	custom := testutil.WriteFile(t, dir, "custom.toml", `[[metric]]
context = "broken"
request = "SELECT COUNT(*) AS n FROM m.no_such_table"
metricsdesc = { n = "Always fails." }
`)
	cfg := testutil.WriteFile(t, dir, "exporter.toml", testutil.SourceTOML(src,
		"checkSlowSQL = true", "maxOpenConns = 1", "maxIdleConns = 1", `customMetricsFile = "`+custom+`"`))
	e := testutil.StartExporter(t, cfg)
	fams, _ = testutil.Scrape(t, e.URL+"/metrics", 10)
	exported(names, fams)
	require.Contains(t, fams, "guocedb_exporter_datasource_scrape_errors_total", "the failing custom metric is counted")
	up, ok := fams.Value("guocedb_exporter_datasource_up", map[string]string{"datasource": "guocedb-1"})
	require.True(t, ok)
	require.Equal(t, 1.0, up, "the exporter reaches guocedb")

	// The raft metrics exist on cluster members only: the leader of a
	// three-member cluster has them all, peer lag included.
	nodes := guocetest.StartCluster(t, guocetest.BuildBinary(t), 3)
	leader := guocetest.FindLeader(nodes, func(int) bool { return true }, time.Minute)
	require.GreaterOrEqual(t, leader, 0, "a leader")
	require.Eventually(t, func() bool {
		fams, _ := testutil.Scrape(t, "http://"+nodes[leader].P.HTTPAddr+"/metrics", 0)
		_, ok := fams["guocedb_raft_peer_lag_entries"]
		return ok
	}, time.Minute, 100*time.Millisecond, "the leader reports its peers' lag")
	fams, _ = testutil.Scrape(t, "http://"+nodes[leader].P.HTTPAddr+"/metrics", 0)
	exported(names, fams)

	used := usedMetrics(t)
	require.Greater(t, len(used), 40, "the dashboards and rules use the metrics")
	var missing []string
	for name, where := range used {
		if !names[name] {
			missing = append(missing, name+" (used by "+strings.Join(where, "; ")+")")
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "metrics that neither guocedb nor guocedb-exporter export")
}

func TestMain(m *testing.M) { os.Exit(guocetest.RunMain(m)) }
