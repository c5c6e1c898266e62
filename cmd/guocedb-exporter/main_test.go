package main

import (
	"bytes"
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/exporter/config"
	"github.com/guocedb/guocedb/internal/exporter/testutil"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	custom := testutil.WriteFile(t, dir, "custom.toml", `
[[metric]]
context = "c"
request = "SELECT 1 AS v"
metricsdesc = { v = "One." }
`)
	badCustom := testutil.WriteFile(t, dir, "bad_custom.toml", `
[[metric]]
context = "c"
request = "DELETE FROM t"
metricsdesc = { v = "One." }
`)
	enc, err := config.EncodePassword("pw")
	require.NoError(t, err)
	tests := []struct {
		name     string
		doc      string
		code     int
		stdout   []string
		stderr   []string
		noOutput string
	}{
		{"valid", `
[[datasource]]
name = "a"
dbHost = "127.0.0.1:1"
dbUser = "u"
dbPwd = "` + enc + `"
customMetricsFile = "` + custom + `"
labels = "env=prod"
`, 0, []string{"datasources: 1 (1 enabled)", "- a [enabled] u@127.0.0.1:1 password=enc", "labels: env=prod", "configuration OK"}, nil, "pw"},
		{"legacy", "dbHost = \"127.0.0.1:1\"\ndbUser = \"u\"\ndbPwd = \"secret\"\n", 0,
			[]string{`converted to datasource "default"`, "password=plain"}, nil, "secret"},
		{"errors name datasource and key", `
[[datasource]]
name = "a"
dbHost = "127.0.0.1:1"
dbUser = "u"
maxOpenConns = 0
[[datasource]]
name = "b"
dbHost = "nohostport"
dbUser = "u"
`, 1, nil, []string{`datasource "a": key "maxOpenConns"`, `datasource "b": key "dbHost"`}, ""},
		{"bad custom metric", `
[[datasource]]
name = "a"
dbHost = "127.0.0.1:1"
dbUser = "u"
customMetricsFile = "` + badCustom + `"
`, 1, nil, []string{`datasource "a": key "customMetricsFile"`, `key "request"`}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testutil.WriteFile(t, dir, "exporter.toml", tc.doc)
			code, out, errs := runCmd(t, "", "check-config", p)
			require.Equal(t, tc.code, code, "stdout=%s stderr=%s", out, errs)
			for _, w := range tc.stdout {
				require.Contains(t, out, w)
			}
			for _, w := range tc.stderr {
				require.Contains(t, errs, w)
			}
			if tc.noOutput != "" {
				require.NotContains(t, out, "="+tc.noOutput+" ")
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		code, _, errs := runCmd(t, "", "check-config", filepath.Join(dir, "absent.toml"))
		require.Equal(t, 1, code)
		require.Contains(t, errs, "absent.toml")
	})
}

func TestEncryptPassword(t *testing.T) {
	code, out, _ := runCmd(t, "hunter2\n", "encrypt-password")
	require.Equal(t, 0, code)
	enc := strings.TrimSpace(out)
	require.True(t, strings.HasPrefix(enc, "ENC(") && strings.HasSuffix(enc, ")"), enc)
	pw, kind, err := config.ResolvePassword(enc, "")
	require.NoError(t, err)
	require.Equal(t, "hunter2", pw)
	require.Equal(t, "enc", kind)

	code, _, errs := runCmd(t, "", "encrypt-password")
	require.Equal(t, 1, code)
	require.Contains(t, errs, "empty password")
}

func TestVersionAndUnknown(t *testing.T) {
	code, out, _ := runCmd(t, "", "version")
	require.Equal(t, 0, code)
	require.Contains(t, out, "guocedb-exporter")
	code, _, errs := runCmd(t, "", "frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, errs, "unknown command")
}

func TestServeReloadsOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	one, err := testutil.SourceFromDSN("one", "u:p@tcp("+testutil.DeadAddr(t)+")/")
	require.NoError(t, err)
	two, err := testutil.SourceFromDSN("two", "u:p@tcp("+testutil.DeadAddr(t)+")/")
	require.NoError(t, err)
	path := testutil.WriteFile(t, dir, "exporter.toml", testutil.SourceTOML(one))

	// The real signal path: SIGHUP to this process, caught by Notify.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	t.Cleanup(func() { signal.Stop(hup) })
	addr := startServe(t, path, hup)
	url := "http://" + addr + "/metrics"
	fams, _ := testutil.Scrape(t, url, 5)
	require.Equal(t, 1, fams.Count("guocedb_exporter_datasource_up", nil))

	testutil.WriteFile(t, dir, "exporter.toml", testutil.SourceTOML(one)+testutil.SourceTOML(two))
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	testutil.WaitFor(t, 15*time.Second, 100*time.Millisecond, "reload after SIGHUP", func() bool {
		fams, _ := testutil.Scrape(t, url, 5)
		return fams.Count("guocedb_exporter_datasource_up", nil) == 2
	})
}

// The shipped example files must stay valid: the README points at them.
func TestExampleConfigIsValid(t *testing.T) {
	t.Setenv("GUOCEDB_EXPORTER_PW", "from-env")
	code, out, errs := runCmd(t, "", "check-config", filepath.Join("..", "..", "internal", "exporter", "examples", "guocedb-exporter.toml"))
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "datasources: 3 (2 enabled)")
	require.Contains(t, out, "custom metrics:")
}

func TestCheckConfigLabelClash(t *testing.T) {
	dir := t.TempDir()
	custom := testutil.WriteFile(t, dir, "custom.toml", `
[[metric]]
context = "c"
labels = ["env"]
request = "SELECT 'x' AS env, 1 AS v"
metricsdesc = { v = "One." }
`)
	p := testutil.WriteFile(t, dir, "exporter.toml", `
labels = "env=prod"
[[datasource]]
name = "a"
dbHost = "127.0.0.1:1"
dbUser = "u"
customMetricsFile = "`+custom+`"
[[datasource]]
name = "b"
dbHost = "127.0.0.1:2"
dbUser = "u"
customMetricsFile = "`+custom+`"
`)
	code, _, errs := runCmd(t, "", "check-config", p)
	require.Equal(t, 1, code)
	require.Contains(t, errs, `datasource "a": key "customMetricsFile": metric "c"`)
	require.Contains(t, errs, `datasource "b": key "customMetricsFile": metric "c"`)
	require.Contains(t, errs, `label "env"`)
}

// startServe runs the exporter on path (listening on a free loopback
// port, reloading on hup) until the test ends, and returns its address.
func startServe(t *testing.T, path string, hup <-chan os.Signal) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, path, "127.0.0.1:0", hup, func(a string) { addrc <- a }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Errorf("serve did not stop")
		}
	})
	select {
	case addr := <-addrc:
		return addr
	case err := <-done:
		t.Fatalf("serve ended early: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}
