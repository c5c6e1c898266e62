package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func parse(t *testing.T, doc string) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "exporter.toml")
	require.NoError(t, os.WriteFile(p, []byte(doc), 0o600))
	return Load(p)
}

func TestLoadResolvesPerSourceValues(t *testing.T) {
	cfg, err := parse(t, `
queryTimeout = "7s"
maxOpenConns = 4
labels = "env=prod,team=db"
collectStrategy = "hybrid"
maxConcurrentGroups = 2

[[datasource]]
name = "a"
dbHost = "127.0.0.1:3306"
dbUser = "u"
dbPwd = "p"
queryTimeout = "1s"
labels = "team=core,az=1"
priority = 2

[[datasource]]
name = "b"
dbHost = "127.0.0.1:3307"
dbUser = "u2"
dbPwd = "p2"
maxOpenConns = 9
maxIdleConns = 2
enabled = false
`)
	require.NoError(t, err)
	require.Len(t, cfg.Sources, 2)
	a, b := cfg.Sources[0], cfg.Sources[1]
	tests := []struct {
		name      string
		got, want any
	}{
		{"a queryTimeout own", a.QueryTimeout, time.Second},
		{"b queryTimeout global", b.QueryTimeout, 7 * time.Second},
		{"a maxOpenConns global", a.MaxOpenConns, 4},
		{"b maxOpenConns own", b.MaxOpenConns, 9},
		{"a labels merged", a.Labels, map[string]string{"env": "prod", "team": "core", "az": "1"}},
		{"b labels global", b.Labels, map[string]string{"env": "prod", "team": "db"}},
		{"a priority", a.Priority, 2},
		{"b priority default", b.Priority, 0},
		{"b disabled", b.Enabled, false},
		{"enabled list", len(cfg.EnabledSources()), 1},
		{"strategy", cfg.CollectStrategy, StrategyHybrid},
		{"groups", cfg.MaxConcurrentGroups, 2},
		{"listen default loopback", cfg.ListenAddress, "127.0.0.1:9104"},
		{"custom rows default", a.CustomMaxRows, 100},
		{"b password", b.Password, "p2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.got)
		})
	}
}

func TestLoadLegacyLayout(t *testing.T) {
	cfg, err := parse(t, `
dbHost = "127.0.0.1:3306"
dbUser = "root"
dbPwd = "secret"
queryTimeout = "2s"
`)
	require.NoError(t, err)
	require.True(t, cfg.Legacy)
	require.Len(t, cfg.Sources, 1)
	require.Equal(t, LegacyName, cfg.Sources[0].Name)
	require.Equal(t, "secret", cfg.Sources[0].Password)
	require.Equal(t, 2*time.Second, cfg.Sources[0].QueryTimeout)
}

func TestLoadErrorsNameDatasourceAndKey(t *testing.T) {
	const good = `
[[datasource]]
name = "ok"
dbHost = "127.0.0.1:1"
dbUser = "u"
`
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"unknown global key", "bogus = 1\n" + good, []string{`unknown key "bogus"`}},
		{"unknown datasource key", good + "\n[[datasource]]\nname = \"x\"\ndbHost = \"h:1\"\ndbUser = \"u\"\nqueryTimout = \"1s\"\n",
			[]string{`datasource "x": unknown key "queryTimout"`}},
		{"bad timeout", good + `queryTimeout = "0s"`, []string{`datasource "ok": key "queryTimeout"`}},
		{"duplicate name", good + good, []string{`datasource "ok": key "name": duplicate name`}},
		{"bad strategy", "collectStrategy = \"fast\"\n" + good, []string{`key "collectStrategy"`, "concurrent, serial, hybrid"}},
		{"bad labels", good + `labels = "datasource=x"`, []string{`datasource "ok": key "labels"`, "reserved"}},
		{"labels syntax", good + `labels = "novalue"`, []string{`datasource "ok": key "labels"`}},
		{"missing host", "[[datasource]]\nname = \"h\"\ndbUser = \"u\"\n", []string{`datasource "h": key "dbHost"`}},
		{"env password missing", good + `dbPwd = "env:GUOCEDB_EXPORTER_TEST_UNSET_VAR"`, []string{`datasource "ok": key "dbPwd"`}},
		{"bad ENC", good + `dbPwd = "ENC(AAAA)"`, []string{`datasource "ok": key "dbPwd"`}},
		{"legacy mixed", "dbHost = \"h:1\"\n" + good, []string{"cannot be combined"}},
		{"idle > open", good + "maxOpenConns = 1\nmaxIdleConns = 2\n", []string{`datasource "ok": key "maxIdleConns"`}},
		{"no datasources", `logLevel = "info"`, []string{"no datasource"}},
		{"bad duration", good + `queryTimeout = "soon"`, []string{"invalid duration"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.doc)
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestPasswordForms(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pw"), []byte("from-file\n"), 0o600))
	t.Setenv("GUOCEDB_EXPORTER_TEST_PW", "from-env")
	enc, err := EncodePassword("from-enc")
	require.NoError(t, err)
	require.NotContains(t, enc, "from-enc")

	tests := []struct {
		in, want, kind string
	}{
		{"plain", "plain", "plain"},
		{"env:GUOCEDB_EXPORTER_TEST_PW", "from-env", "env"},
		{"file:pw", "from-file", "file"},
		{enc, "from-enc", "enc"},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			got, kind, err := ResolvePassword(tc.in, dir)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.kind, kind)
		})
	}

	t.Run("other key cannot decode", func(t *testing.T) {
		t.Setenv(EncKeyEnv, "another key")
		_, _, err := ResolvePassword(enc, dir)
		require.Error(t, err)
	})
}

func TestParseLabels(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr bool
	}{
		{"", map[string]string{}, false},
		{"a=1, b = 2", map[string]string{"a": "1", "b": "2"}, false},
		{"a=1,a=2", nil, true},
		{"=1", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseLabels(tc.in)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestLoadReportsAllErrorsAtOnce(t *testing.T) {
	_, err := parse(t, `
bogus = 1
[[datasource]]
name = "a"
dbHost = "127.0.0.1:1"
dbUser = "u"
dbPwd = "env:GUOCEDB_EXPORTER_TEST_UNSET_VAR"
maxOpenConns = 0
`)
	require.Error(t, err)
	for _, want := range []string{`unknown key "bogus"`, `datasource "a": key "dbPwd"`, `datasource "a": key "maxOpenConns"`} {
		require.Contains(t, err.Error(), want)
	}
}
