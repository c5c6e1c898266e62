package config

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadFile feeds arbitrary text to the config loader as a TOML file:
// it must load or fail with an error, never panic; a configuration that
// loads and validates must print (Write) as a file that loads back to the
// same configuration.
func FuzzLoadFile(f *testing.F) {
	f.Add("data-dir = \"/var/lib/guocedb\"\nmysql-addr = \"127.0.0.1:3306\"\nslow-query-time = \"off\"\n")
	f.Add("tls-auto-generate = true\nlocal-infile = false\nshutdown-timeout = \"2m\"\n")
	f.Add("unknown-key = 1\n")
	f.Add("log-level = [1, 2]\n[table]\nx = 1\n")
	f.Add("secure-file-priv = \"\"\nadmin-addr = \"\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "guocedb.toml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := Default()
		if err := loadFile(path, &cfg); err != nil {
			return
		}
		if cfg.Validate() != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, cfg); err != nil {
			t.Fatalf("write a valid configuration: %v", err)
		}
		again := filepath.Join(dir, "again.toml")
		if err := os.WriteFile(again, out.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		back := Default()
		if err := loadFile(again, &back); err != nil {
			t.Fatalf("the printed configuration does not load: %v\n%s", err, out.String())
		}
		back.RootPassword = cfg.RootPassword // never printed
		if back != cfg {
			t.Fatalf("round trip changed the configuration:\n%+v\n%+v", cfg, back)
		}
	})
}
