package testutil

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/exporter/app"
	"github.com/guocedb/guocedb/internal/exporter/config"
	"github.com/guocedb/guocedb/internal/exporter/web"
)

// SourceTOML renders s as a [[datasource]] table; extra lines (key = value)
// are appended verbatim.
func SourceTOML(s SourceSpec, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n[[datasource]]\nname = %q\ndbHost = %q\ndbUser = %q\ndbPwd = %q\n", s.Name, s.Host, s.User, s.Password)
	if s.DBName != "" {
		fmt.Fprintf(&b, "dbName = %q\n", s.DBName)
	}
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	return b.String()
}

// WriteFile writes body to name in dir and returns the path.
func WriteFile(t testing.TB, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

// Exporter is an exporter served over real HTTP on 127.0.0.1.
type Exporter struct {
	App *app.App
	// URL is the base URL, e.g. http://127.0.0.1:1234.
	URL string
	// Addr is host:port.
	Addr string
}

// StartExporter loads cfgPath, builds the exporter and serves it (with the
// file's web configuration, if any) on a free loopback port until the test
// ends.
func StartExporter(t testing.TB, cfgPath string) *Exporter {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(cfgPath, cfg, logger)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- web.Serve(ctx, l, web.Handler(a, logger), cfg.WebConfigFile, logger) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("exporter did not stop within 10s")
		}
		require.NoError(t, a.Close())
	})
	return &Exporter{App: a, URL: "http://" + l.Addr().String(), Addr: l.Addr().String()}
}
