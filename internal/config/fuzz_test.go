package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadFile feeds arbitrary bytes as the --config file: loading and
// validating must return a configuration or an error, never panic.
func FuzzLoadFile(f *testing.F) {
	f.Add([]byte("data-dir = \"/var/lib/guocedb\"\nmysql-addr = \"127.0.0.1:3306\"\n"))
	f.Add([]byte("tls-auto-generate = true\nslow-query-time = \"off\"\n"))
	f.Add([]byte("audit-events = \"connect,dcl\"\naudit-log-max-size = \"64KB\"\n"))
	f.Add([]byte("[table]\nkey = 1\n"))
	f.Add([]byte("root-password = \"x\"\n"))
	f.Add([]byte("shutdown-timeout = 5\n"))
	f.Add([]byte("secure-file-priv = \"\"\nadmin-addr = \"\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "guocedb.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		flags := RegisterFlags(fs)
		if err := fs.Parse([]string{"--config", path}); err != nil {
			t.Fatal(err)
		}
		cfg, err := flags.Load(func(string) (string, bool) { return "", false })
		if err != nil {
			return
		}
		_ = cfg.Validate()
		if err := Write(io.Discard, cfg); err != nil {
			t.Fatalf("write a loaded configuration: %v", err)
		}
	})
}
