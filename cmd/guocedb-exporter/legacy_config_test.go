package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/exporter/testutil"
	servertest "github.com/guocedb/guocedb/internal/testutil"
)

const seedFile = "testdata/seed-format.toml"

// TestSeedFormatCheckConfig: the plan's example file, in the Dameng
// exporter's format, is accepted: integer durations in that exporter's
// units, legacy keys mapped or warned about once each.
func TestSeedFormatCheckConfig(t *testing.T) {
	code, out, errs := runCmd(t, "", "check-config", seedFile)
	require.Equal(t, 0, code, errs)
	for _, want := range []string{
		"strategy: hybrid  maxConcurrentGroups: 2  groupTimeout: 1m0s",
		"scrape deadline: header*0.9 capped at 1m0s, default 5s", // globalTimeoutSeconds
		"basic auth: user admin (enableBasicAuth)",
		"db_prod [enabled] root@192.168.1.100:3306 password=plain priority=0 queryTimeout=30s pool=10/2 connMaxLifetime=30m0s",
		"slow SQL: over 10s, at most 20 rows",
		"db_test [enabled] root@192.168.1.101:3306 password=plain priority=1 queryTimeout=20s pool=5/1 connMaxLifetime=20m0s",
		"configuration OK",
	} {
		require.Contains(t, out, want)
	}
	for _, w := range []string{
		`warning: key "encodeConfigPwd" ignored`,
		`warning: key "version" ignored`,
		`warning: key "collectionMode" ignored`,
		`warning: datasource "db_prod": key "alarmKeyCacheTime" ignored`,
		`warning: datasource "db_test": key "alarmKeyCacheTime" ignored`,
		`warning: datasource "db_prod": key "registerHostMetrics" ignored`,
	} {
		require.Equal(t, 1, strings.Count(errs, w), "%q once in:\n%s", w, errs)
	}
	require.NotContains(t, errs, "unknown key")
}

// TestCheckConfigListsEveryErrorOnce: a value that fails to parse does not
// hide the others, and a problem repeated in several datasources is one
// line.
func TestCheckConfigListsEveryErrorOnce(t *testing.T) {
	p := testutil.WriteFile(t, t.TempDir(), "bad.toml", `
groupTimeout = "soon"
collectionMode = "slow"
[[datasource]]
name = "a"
dbHost = "127.0.0.1:1"
dbUser = "u"
queryTimeout = "x"
healthCheckInterval = 5
frobnicate = 1
[[datasource]]
name = "b"
dbHost = "127.0.0.1:2"
dbUser = "u"
frobnicate = 2
enableBasicAuth = 3
`)
	code, _, errs := runCmd(t, "", "check-config", p)
	require.Equal(t, 1, code)
	for _, want := range []string{
		`key "groupTimeout": invalid duration "soon"`,
		`key "collectionMode": "slow" must be blocking or fast`,
		`datasource "a": key "queryTimeout": invalid duration "x"`,
		`datasource "a": key "healthCheckInterval": 5 has no unit: write a string such as "5s"`,
		`unknown key "frobnicate"`,
		`unknown key "enableBasicAuth"`,
	} {
		require.Equal(t, 1, strings.Count(errs, want), "%q once in:\n%s", want, errs)
	}
}

// TestSeedFormatScrape serves the plan's example file against two real
// guocedb servers: the legacy basic auth guards /metrics, and both
// datasources are up.
func TestSeedFormatScrape(t *testing.T) {
	addrProd, _ := servertest.StartServer(t)
	addrTest, _ := servertest.StartServer(t)
	body, err := os.ReadFile(seedFile)
	require.NoError(t, err)
	text := strings.NewReplacer("192.168.1.100:3306", addrProd, "192.168.1.101:3306", addrTest).Replace(string(body))
	path := filepath.Join(t.TempDir(), "seed.toml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))

	addr := startServe(t, path, nil)
	get := func(user, pw string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
		require.NoError(t, err)
		if user != "" {
			req.SetBasicAuth(user, pw)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	code, _ := get("", "")
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = get("admin", "wrong")
	require.Equal(t, http.StatusUnauthorized, code)
	testutil.WaitFor(t, 30*time.Second, 200*time.Millisecond, "both datasources up", func() bool {
		code, body := get("admin", "admin-Pw1")
		return code == http.StatusOK &&
			strings.Contains(body, `guocedb_exporter_datasource_up{datasource="db_prod",env="production",region="cn-north"} 1`) &&
			strings.Contains(body, `guocedb_exporter_datasource_up{datasource="db_test",env="test",region="cn-north"} 1`)
	})
}
