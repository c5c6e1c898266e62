package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testutil.RunMain(m)) }

// TestCommands runs the built binary as a user would and checks exit
// codes and what it prints.
func TestCommands(t *testing.T) {
	bin := testutil.BuildBinary(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	good := write("good.toml", "data-dir = \"/var/lib/guocedb\"\nmysql-addr = \"127.0.0.1:3307\"\nlog-format = \"json\"\n")
	unknown := write("unknown.toml", "data-dir = \"d\"\nmysql-port = 3306\n")
	badValue := write("bad.toml", "log-level = \"loud\"\n")
	aFile := write("not-a-dir", "x")
	certs := testutil.NewTestCerts(t)
	other := testutil.NewTestCerts(t)
	tlsFile := write("tls.toml", "tls-cert = \""+certs.CertFile+"\"\ntls-key = \""+certs.KeyFile+"\"\nrequire-secure-transport = true\n")

	tests := []struct {
		name     string
		args     []string
		env      []string
		wantCode int
		want     []string // substrings of the output
		notWant  []string
	}{
		{"version", []string{"version"}, nil, 0, []string{"guocedb test (commit test"}, nil},
		{"help", []string{"help"}, nil, 0, []string{"check-config"}, nil},
		{"unknown command", []string{"frobnicate"}, nil, 2, []string{`unknown command "frobnicate"`}, nil},
		{"unknown flag", []string{"serve", "--mysql-port", "1"}, nil, 2, []string{"mysql-port"}, nil},
		{"check-config defaults", []string{"check-config"}, nil, 0,
			[]string{`data-dir = "./data"`, `mysql-addr = "127.0.0.1:3306"`, `http-addr = "127.0.0.1:9307"`, "not set"}, nil},
		{"check-config good file", []string{"check-config", "--config", good}, nil, 0,
			[]string{`data-dir = "/var/lib/guocedb"`, `mysql-addr = "127.0.0.1:3307"`, `log-format = "json"`}, nil},
		{"check-config env and flag", []string{"check-config", "--config", good, "--mysql-addr", "127.0.0.1:4000"},
			[]string{"GUOCEDB_MYSQL_ADDR=127.0.0.1:5000", "GUOCEDB_LOG_LEVEL=debug", "GUOCEDB_ROOT_PASSWORD=pw"}, 0,
			[]string{`mysql-addr = "127.0.0.1:4000"`, `log-level = "debug"`, "password (GUOCEDB_ROOT_PASSWORD only): set"}, []string{"pw\n"}},
		{"check-config unknown key", []string{"check-config", "--config", unknown}, nil, 1, []string{`unknown key "mysql-port"`}, nil},
		{"check-config bad value", []string{"check-config", "--config", badValue}, nil, 1, []string{"log-level", `"loud"`, "debug, info, warn, error"}, nil},
		{"check-config bad env", []string{"check-config"}, []string{"GUOCEDB_LOG_FORMAT=xml"}, 1, []string{"log-format", "text, json"}, nil},
		{"check-config memory defaults", []string{"check-config"}, nil, 0,
			[]string{`memtable-size = "16MB"`, `block-cache-size = "32MB"`, `memory-limit = "auto"`}, nil},
		{"check-config memory-limit below storage", []string{"check-config", "--memory-limit", "64MB"}, nil, 1,
			[]string{"memory-limit: 64MB is below the 127MB"}, nil},
		{"serve memtable-size too small", []string{"serve", "--data-dir", filepath.Join(dir, "d3")}, []string{"GUOCEDB_MEMTABLE_SIZE=1MB"}, 1,
			[]string{"memtable-size: 1MB is out of range"}, []string{"panic", "goroutine"}},
		{"non-loopback without password", []string{"serve", "--mysql-addr", "0.0.0.0:0", "--data-dir", filepath.Join(dir, "d1")}, nil, 1,
			[]string{"mysql-addr", "beyond loopback", "GUOCEDB_ROOT_PASSWORD"}, nil},
		{"non-loopback check-config", []string{"check-config", "--mysql-addr", "0.0.0.0:3306"}, nil, 1, []string{"beyond loopback"}, nil},
		{"non-loopback with password passes check", []string{"check-config", "--mysql-addr", "0.0.0.0:3306"}, []string{"GUOCEDB_ROOT_PASSWORD=pw"}, 0, []string{"0.0.0.0:3306"}, nil},
		{"check-config tls", []string{"check-config", "--config", tlsFile}, nil, 0,
			[]string{`tls-cert = "` + certs.CertFile, "require-secure-transport = true", "tls-auto-generate = false"}, nil},
		{"check-config tls-cert without tls-key", []string{"check-config", "--tls-cert", certs.CertFile}, nil, 1, []string{"tls-key: missing"}, nil},
		{"check-config tls-key without tls-cert", []string{"check-config"}, []string{"GUOCEDB_TLS_KEY=" + certs.KeyFile}, 1, []string{"tls-cert: missing"}, nil},
		{"check-config missing cert file", []string{"check-config", "--tls-cert", filepath.Join(dir, "nope.pem"), "--tls-key", certs.KeyFile}, nil, 1,
			[]string{"tls-cert:", "nope.pem", "no such file"}, nil},
		{"check-config key of another cert", []string{"check-config", "--tls-cert", certs.CertFile, "--tls-key", other.KeyFile}, nil, 1,
			[]string{"tls-cert, tls-key", "private key does not match"}, nil},
		{"check-config require-secure-transport without tls", []string{"check-config", "--require-secure-transport"}, nil, 1,
			[]string{"require-secure-transport: needs TLS"}, nil},
		{"check-config bad bool", []string{"check-config", "--tls-auto-generate=maybe"}, nil, 1, []string{"tls-auto-generate", `"maybe"`}, nil},
		{"serve with a key that is not PEM", []string{"serve", "--tls-cert", certs.CertFile, "--tls-key", aFile, "--data-dir", filepath.Join(dir, "d2"),
			"--mysql-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, nil, 1, []string{"tls-cert, tls-key"}, []string{"panic", "goroutine"}},
		{"serve on a regular file", []string{"serve", "--data-dir", aFile, "--mysql-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, nil, 1,
			[]string{"guocedb: error: storage", aFile, "not a directory"}, []string{"panic", "goroutine"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := testutil.Run(t, bin, tt.env, tt.args...)
			require.Equal(t, tt.wantCode, code, "output:\n%s", out)
			for _, w := range tt.want {
				require.Contains(t, out, w)
			}
			for _, w := range tt.notWant {
				require.NotContains(t, out, w)
			}
		})
	}
}

// TestSIGTERMExitsZero starts the server, uses it, and stops it with
// SIGTERM; Stop requires exit status 0.
func TestSIGTERMExitsZero(t *testing.T) {
	bin := testutil.BuildBinary(t)
	p := testutil.StartProcess(t, bin, t.TempDir())
	db := testutil.Connect(t, p.MySQLAddr)
	var one int
	require.NoError(t, db.QueryRow("SELECT 1").Scan(&one))
	require.Equal(t, 1, one)
	require.NoError(t, db.Close())
	p.Stop()
	require.True(t, strings.Contains(p.Output(), "guocedb stopped"), "output:\n%s", p.Output())
}

// TestPortInUse checks a taken MySQL port is a readable startup error.
func TestPortInUse(t *testing.T) {
	bin := testutil.BuildBinary(t)
	p := testutil.StartProcess(t, bin, t.TempDir())
	code, out := testutil.Run(t, bin, nil, "serve", "--data-dir", t.TempDir(),
		"--mysql-addr", p.MySQLAddr, "--http-addr", "127.0.0.1:0")
	require.Equal(t, 1, code, "output:\n%s", out)
	require.Contains(t, out, "already in use")
	p.Stop()
}
