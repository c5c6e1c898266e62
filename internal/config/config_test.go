package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr []string // substrings; empty means valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"empty data dir", func(c *Config) { c.DataDir = " " }, []string{"data-dir", "empty"}},
		{"mysql addr without port", func(c *Config) { c.MySQLAddr = "127.0.0.1" }, []string{"mysql-addr", "HOST:PORT"}},
		{"mysql port not a number", func(c *Config) { c.MySQLAddr = "127.0.0.1:abc" }, []string{"mysql-addr", "0 to 65535"}},
		{"mysql port too big", func(c *Config) { c.MySQLAddr = "127.0.0.1:70000" }, []string{"mysql-addr", "0 to 65535"}},
		{"http addr bad", func(c *Config) { c.HTTPAddr = "nohost" }, []string{"http-addr", "HOST:PORT"}},
		{"port zero is fine", func(c *Config) { c.MySQLAddr, c.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0" }, nil},
		{"localhost is loopback", func(c *Config) { c.MySQLAddr = "localhost:3306" }, nil},
		{"ipv6 loopback", func(c *Config) { c.MySQLAddr = "[::1]:3306" }, nil},
		{"bad log level", func(c *Config) { c.LogLevel = "verbose" }, []string{"log-level", "debug, info, warn, error"}},
		{"bad log format", func(c *Config) { c.LogFormat = "xml" }, []string{"log-format", "text, json"}},
		{"zero shutdown timeout", func(c *Config) { c.ShutdownTimeout = 0 }, []string{"shutdown-timeout", "positive"}},
		{"all interfaces without password", func(c *Config) { c.MySQLAddr = "0.0.0.0:3306" }, []string{"mysql-addr", "beyond loopback", "GUOCEDB_ROOT_PASSWORD"}},
		{"empty host without password", func(c *Config) { c.MySQLAddr = ":3306" }, []string{"beyond loopback"}},
		{"host name without password", func(c *Config) { c.MySQLAddr = "db.example:3306" }, []string{"beyond loopback"}},
		{"all interfaces with password", func(c *Config) { c.MySQLAddr, c.RootPassword = "0.0.0.0:3306", "s3cret" }, nil},
		{"http beyond loopback is fine", func(c *Config) { c.HTTPAddr = "0.0.0.0:9307" }, nil},
		{"admin disabled", func(c *Config) { c.AdminAddr = "" }, nil},
		{"admin addr bad", func(c *Config) { c.AdminAddr = "9308" }, []string{"admin-addr", "HOST:PORT", "empty to disable"}},
		{"admin beyond loopback without tls", func(c *Config) { c.AdminAddr = "0.0.0.0:9308" }, []string{"admin-addr", "beyond loopback without TLS", "tls-cert"}},
		{"admin beyond loopback with tls", func(c *Config) { c.AdminAddr, c.TLSAutoGenerate = "0.0.0.0:9308", true }, nil},
		{"tls 1.3 floor", func(c *Config) { c.TLSMinVersion = "TLSv1.3" }, nil},
		{"tls 1.1 floor refused", func(c *Config) { c.TLSMinVersion = "TLSv1.1" }, []string{"tls-min-version", "TLSv1.2, TLSv1.3"}},
		{"audit events", func(c *Config) { c.AuditLog, c.AuditEvents = "/var/log/audit.json", []string{"connect", "ddl"} }, nil},
		{"unknown audit event", func(c *Config) { c.AuditEvents = []string{"query"} }, []string{"audit-events", `"query"`, "connect, disconnect"}},
		{"several errors at once", func(c *Config) { c.LogLevel, c.LogFormat = "x", "y" }, []string{"log-level", "log-format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			tt.mutate(&cfg)
			err := cfg.Validate()
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				require.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "guocedb.toml")
	require.NoError(t, os.WriteFile(file, []byte(`
data-dir = "/from/file"
mysql-addr = "127.0.0.1:1001"
http-addr = "127.0.0.1:2001"
log-level = "warn"
shutdown-timeout = "5s"
`), 0o600))

	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(*Config)
	}{
		{"defaults only", nil, nil, func(*Config) {}},
		{"file over defaults", []string{"--config", file}, nil, func(c *Config) {
			c.DataDir, c.MySQLAddr, c.HTTPAddr, c.LogLevel, c.ShutdownTimeout = "/from/file", "127.0.0.1:1001", "127.0.0.1:2001", "warn", 5*time.Second
		}},
		{"env over file", []string{"--config", file}, map[string]string{
			"GUOCEDB_DATA_DIR": "/from/env", "GUOCEDB_LOG_FORMAT": "json", "GUOCEDB_SHUTDOWN_TIMEOUT": "7s",
			"GUOCEDB_ROOT_PASSWORD": "pw", "GUOCEDB_HTTP_ADDR": "",
		}, func(c *Config) {
			c.DataDir, c.MySQLAddr, c.HTTPAddr, c.LogLevel, c.ShutdownTimeout = "/from/env", "127.0.0.1:1001", "127.0.0.1:2001", "warn", 7*time.Second
			c.LogFormat, c.RootPassword = "json", "pw"
		}},
		{"flags over env", []string{"--config", file, "--data-dir", "/from/flag", "--mysql-addr=127.0.0.1:0", "--shutdown-timeout", "1m"},
			map[string]string{"GUOCEDB_DATA_DIR": "/from/env", "GUOCEDB_MYSQL_ADDR": "127.0.0.1:3003"}, func(c *Config) {
				c.DataDir, c.MySQLAddr, c.HTTPAddr, c.LogLevel, c.ShutdownTimeout = "/from/flag", "127.0.0.1:0", "127.0.0.1:2001", "warn", time.Minute
			}},
		{"admin-addr from each source", []string{"--admin-addr", "127.0.0.1:4004"}, map[string]string{"GUOCEDB_ADMIN_ADDR": "127.0.0.1:3003"}, func(c *Config) {
			c.AdminAddr = "127.0.0.1:4004"
		}},
		{"admin-addr disabled by an empty flag", []string{"--admin-addr="}, nil, func(c *Config) { c.AdminAddr = "" }},
		{"flag equal to default still wins", []string{"--log-level", "info"}, map[string]string{"GUOCEDB_LOG_LEVEL": "debug"}, func(*Config) {}},
		{"slow log off from env, file from flag", []string{"--slow-log-file", "/var/log/slow.json"}, map[string]string{"GUOCEDB_SLOW_QUERY_TIME": "OFF"}, func(c *Config) {
			c.SlowQueryTime, c.SlowLogFile = SlowLogOff, "/var/log/slow.json"
		}},
		{"tls-min-version from env, then flag", []string{"--tls-min-version", "TLSv1.3"}, map[string]string{"GUOCEDB_TLS_MIN_VERSION": "TLSv1.2"}, func(c *Config) {
			c.TLSMinVersion = "TLSv1.3"
		}},
		{"tls-min-version from env", nil, map[string]string{"GUOCEDB_TLS_MIN_VERSION": "TLSv1.3"}, func(c *Config) { c.TLSMinVersion = "TLSv1.3" }},
		{"audit keys", []string{"--audit-log", "/a.log", "--audit-log-max-size", "64KB"},
			map[string]string{"GUOCEDB_AUDIT_EVENTS": "connect, dcl", "GUOCEDB_AUDIT_USERS": "app,ops"}, func(c *Config) {
				c.AuditLog, c.AuditLogMaxSize = "/a.log", 64<<10
				c.AuditEvents, c.AuditUsers = []string{"connect", "dcl"}, []string{"app", "ops"}
			}},
		{"slow query time zero", []string{"--slow-query-time=0"}, nil, func(c *Config) { c.SlowQueryTime = 0 }},
		{"slow query time", []string{"--slow-query-time", "250ms"}, nil, func(c *Config) { c.SlowQueryTime = 250 * time.Millisecond }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			flags := RegisterFlags(fs)
			require.NoError(t, fs.Parse(tt.args))
			got, err := flags.Load(mapEnv(tt.env))
			require.NoError(t, err)
			want := Default()
			tt.want(&want)
			require.Equal(t, want, got)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string // written to a temp file when not empty
		args    []string
		env     map[string]string
		wantErr []string
	}{
		{"unknown key", "data-dir = \"d\"\nmysql-adr = \"x\"\n", nil, nil, []string{`unknown key "mysql-adr"`, "mysql-addr"}},
		{"unknown table", "[server]\nport = 1\n", nil, nil, []string{`unknown key "server"`}},
		{"root password in file", "root-password = \"x\"\n", nil, nil, []string{"root-password", "GUOCEDB_ROOT_PASSWORD"}},
		{"wrong type", "data-dir = 5\n", nil, nil, []string{"data-dir", "string"}},
		{"bad duration in file", "shutdown-timeout = \"soon\"\n", nil, nil, []string{"shutdown-timeout", `"soon"`}},
		{"syntax error", "data-dir = \n", nil, nil, []string{"config file"}},
		{"missing file", "", []string{"--config", "/nonexistent/guocedb.toml"}, nil, []string{"config file", "/nonexistent/guocedb.toml"}},
		{"bad duration in env", "", nil, map[string]string{"GUOCEDB_SHUTDOWN_TIMEOUT": "x"}, []string{"GUOCEDB_SHUTDOWN_TIMEOUT"}},
		{"bad duration flag", "", []string{"--shutdown-timeout", "x"}, nil, []string{"--shutdown-timeout"}},
		{"bad slow query time", "slow-query-time = \"sometimes\"\n", nil, nil, []string{"slow-query-time", `"sometimes"`, "off"}},
		{"negative slow query time", "", []string{"--slow-query-time", "-1s"}, nil, []string{"--slow-query-time", `"-1s"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.file != "" {
				path := filepath.Join(t.TempDir(), "c.toml")
				require.NoError(t, os.WriteFile(path, []byte(tt.file), 0o600))
				args = append([]string{"--config", path}, args...)
			}
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			flags := RegisterFlags(fs)
			require.NoError(t, fs.Parse(args))
			_, err := flags.Load(mapEnv(tt.env))
			require.Error(t, err)
			for _, want := range tt.wantErr {
				require.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestWriteRoundTrip(t *testing.T) {
	cfgs := []Config{
		Default(),
		{DataDir: `/tmp/we"ird\dir`, MySQLAddr: "[::1]:0", HTTPAddr: ":0", LogLevel: "debug", LogFormat: "json", ShutdownTimeout: 1500 * time.Millisecond, RootPassword: "hidden",
			SlowQueryTime: SlowLogOff, SlowLogFile: "/l/slow.log"},
	}
	for i, cfg := range cfgs {
		var b strings.Builder
		require.NoError(t, Write(&b, cfg))
		require.NotContains(t, b.String(), "hidden", "case %d", i)
		path := filepath.Join(t.TempDir(), "c.toml")
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		flags := RegisterFlags(fs)
		require.NoError(t, fs.Parse([]string{"--config", path}))
		got, err := flags.Load(nil)
		require.NoError(t, err)
		cfg.RootPassword = ""
		require.Equal(t, cfg, got, "case %d", i)
	}
}

func TestEnvName(t *testing.T) {
	for key, want := range map[string]string{
		"data-dir": "GUOCEDB_DATA_DIR", "mysql-addr": "GUOCEDB_MYSQL_ADDR", "shutdown-timeout": "GUOCEDB_SHUTDOWN_TIMEOUT", "root-password": "GUOCEDB_ROOT_PASSWORD",
	} {
		require.Equal(t, want, EnvName(key))
	}
}

func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestSlowLogPath(t *testing.T) {
	c := Default()
	c.DataDir = "/data"
	require.Equal(t, filepath.Join("/data", "slow.log"), c.SlowLogPath())
	c.SlowLogFile = "/elsewhere/s.log"
	require.Equal(t, "/elsewhere/s.log", c.SlowLogPath())
}

func TestValidateSecureFilePriv(t *testing.T) {
	base := t.TempDir()
	data := filepath.Join(base, "data")
	good := filepath.Join(base, "files")
	open := filepath.Join(base, "open")
	plain := filepath.Join(base, "plain.txt")
	inData := filepath.Join(data, "import")
	link := filepath.Join(base, "link")
	for _, d := range []string{good, open, inData} {
		require.NoError(t, os.MkdirAll(d, 0o700))
	}
	require.NoError(t, os.Chmod(open, 0o777))
	require.NoError(t, os.WriteFile(plain, nil, 0o600))
	// A symlink outside the data directory that leads into it.
	require.NoError(t, os.Symlink(inData, link))
	tests := []struct {
		name    string
		dir     string
		wantErr []string
	}{
		{"unset", "", nil},
		{"private directory", good, nil},
		{"missing", filepath.Join(base, "nope"), []string{"secure-file-priv", "no such file"}},
		{"not a directory", plain, []string{"secure-file-priv", "not a directory"}},
		{"world-writable", open, []string{"secure-file-priv", "writable by every user", "0777"}},
		{"inside the data directory", inData, []string{"secure-file-priv", "inside the data directory"}},
		{"symlink into the data directory", link, []string{"secure-file-priv", "inside the data directory"}},
		{"contains the data directory", base, []string{"secure-file-priv", "contains the data directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.DataDir, c.SecureFilePriv = data, tt.dir
			err := c.Validate()
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				require.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestSecureFilePrivFromEnv(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	f := RegisterFlags(fs)
	require.NoError(t, fs.Parse(nil))
	cfg, err := f.Load(func(k string) (string, bool) {
		if k == "GUOCEDB_SECURE_FILE_PRIV" {
			return "/srv/import", true
		}
		return "", false
	})
	require.NoError(t, err)
	require.Equal(t, "/srv/import", cfg.SecureFilePriv)
}

// TestEncryptionKeyFile: the key file comes from the flag, the file or
// GUOCEDB_ENCRYPTION_KEY_FILE, and Validate refuses one that group or
// others can read, or that is not 64 hex characters, naming the key.
func TestEncryptionKeyFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), mode))
		require.NoError(t, os.Chmod(p, mode))
		return p
	}
	good := write("good.key", strings.Repeat("0f", 32)+"\n", 0o600)
	for _, tt := range []struct {
		name, path string
		wantErr    []string
	}{
		{"unset", "", nil},
		{"good", good, nil},
		{"group-readable", write("g.key", strings.Repeat("0f", 32), 0o640), []string{"encryption-key-file", "readable by group or others"}},
		{"not hex", write("x.key", strings.Repeat("xy", 32), 0o600), []string{"encryption-key-file", "64 hex characters"}},
		{"missing", filepath.Join(dir, "none"), []string{"encryption-key-file", "no such file"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.EncryptionKeyFile = tt.path
			err := c.Validate()
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				require.ErrorContains(t, err, want)
			}
		})
	}

	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	f := RegisterFlags(fs)
	require.NoError(t, fs.Parse(nil))
	cfg, err := f.Load(func(k string) (string, bool) {
		if k == "GUOCEDB_ENCRYPTION_KEY_FILE" {
			return good, true
		}
		return "", false
	})
	require.NoError(t, err)
	require.Equal(t, good, cfg.EncryptionKeyFile)

	conf := write("guocedb.toml", "encryption-key-file = \""+good+"\"\n", 0o600)
	fs = flag.NewFlagSet("serve", flag.ContinueOnError)
	f = RegisterFlags(fs)
	require.NoError(t, fs.Parse([]string{"--config", conf}))
	cfg, err = f.Load(func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	require.Equal(t, good, cfg.EncryptionKeyFile)
}
