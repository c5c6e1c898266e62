package app_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/exporter/testutil"
)

func postReload(t *testing.T, baseURL string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/-/reload", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestReload(t *testing.T) {
	f := newFleet(t)
	dir := t.TempDir()
	v1 := testutil.SourceTOML(f.a)
	path := testutil.WriteFile(t, dir, "exporter.toml", v1)
	e := testutil.StartExporter(t, path)

	upOf := func(fams testutil.Families, ds string) (float64, bool) {
		return fams.Value(ns+"_datasource_up", map[string]string{"datasource": ds})
	}
	fams, _ := testutil.Scrape(t, e.URL+"/metrics", 10)
	v, ok := upOf(fams, "maria_a")
	require.True(t, ok)
	require.Equal(t, 1.0, v)
	_, ok = upOf(fams, "maria_b")
	require.False(t, ok)

	broken := []struct {
		name, doc, want string
	}{
		{"syntax error", v1 + "\n[[datasource]\n", "parse config"},
		{"unknown key", v1 + "bogusKey = 1\n", `unknown key "bogusKey"`},
		{"invalid value", testutil.SourceTOML(f.a, `queryTimeout = "-1s"`), `datasource "maria_a": key "queryTimeout"`},
		{"bad custom file", testutil.SourceTOML(f.a, `customMetricsFile = "/nonexistent/custom.toml"`), `key "customMetricsFile"`},
	}
	for _, tc := range broken {
		t.Run("broken "+tc.name+" keeps the old configuration", func(t *testing.T) {
			testutil.WriteFile(t, dir, "exporter.toml", tc.doc)
			code, body := postReload(t, e.URL)
			require.Equal(t, http.StatusInternalServerError, code)
			require.Contains(t, body, tc.want)
			fams, _ := testutil.Scrape(t, e.URL+"/metrics", 10)
			v, ok := upOf(fams, "maria_a")
			require.True(t, ok)
			require.Equal(t, 1.0, v)
			_, ok = fams.Value(ns+"_global_status_uptime", map[string]string{"datasource": "maria_a"})
			require.True(t, ok, "old configuration not fully served")
			v, ok = fams.Value(ns+"_config_last_reload_successful", nil)
			require.True(t, ok)
			require.Equal(t, 0.0, v)
		})
	}

	t.Run("new datasource added without restart", func(t *testing.T) {
		testutil.WriteFile(t, dir, "exporter.toml", v1+testutil.SourceTOML(f.b, `labels = "added=yes"`))
		code, body := postReload(t, e.URL)
		require.Equal(t, http.StatusOK, code, body)
		fams, _ := testutil.Scrape(t, e.URL+"/metrics", 10)
		for _, ds := range []string{"maria_a", "maria_b"} {
			v, ok := upOf(fams, ds)
			require.True(t, ok, ds)
			require.Equal(t, 1.0, v, ds)
		}
		_, ok := fams.Value(ns+"_datasource_up", map[string]string{"datasource": "maria_b", "added": "yes"})
		require.True(t, ok)
		v, ok := fams.Value(ns+"_config_last_reload_successful", nil)
		require.True(t, ok)
		require.Equal(t, 1.0, v)
		v, ok = fams.Value(ns+"_datasources", nil)
		require.True(t, ok)
		require.Equal(t, 2.0, v)
	})

	t.Run("reload needs POST", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.URL+"/-/reload", nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	})
}

func TestPrometheusScrapesExporter(t *testing.T) {
	f := newFleet(t)
	dead, err := testutil.SourceFromDSN("dead", "nobody:pw@tcp("+testutil.DeadAddr(t)+")/")
	require.NoError(t, err)
	doc := testutil.SourceTOML(f.a) + testutil.SourceTOML(f.b) + testutil.SourceTOML(dead)
	e := testutil.StartExporter(t, testutil.WriteFile(t, t.TempDir(), "exporter.toml", doc))
	p := testutil.StartPrometheus(t, e.Addr, "/metrics")

	want := map[string]string{"maria_a": "1", "maria_b": "1", "dead": "0"}
	var last []testutil.Sample
	testutil.WaitFor(t, 60*time.Second, 500*time.Millisecond, "one datasource_up series per datasource", func() bool {
		res, err := p.Query(ns + "_datasource_up")
		if err != nil {
			return false
		}
		last = res
		return len(res) == len(want)
	})
	got := map[string]string{}
	for _, s := range last {
		require.Len(t, s.Value, 2)
		got[s.Metric["datasource"]] = s.Value[1].(string)
		require.Equal(t, "guocedb-exporter", s.Metric["job"])
	}
	require.Equal(t, want, got)

	// The scrape itself succeeded (Prometheus' own up), even with a dead
	// source in the fleet.
	res, err := p.Query(`up{job="guocedb-exporter"}`)
	require.NoError(t, err)
	require.Len(t, res, 1)
	require.Equal(t, "1", res[0].Value[1])
}
