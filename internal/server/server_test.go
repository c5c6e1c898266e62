package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/server"
	"github.com/guocedb/guocedb/internal/testutil"
)

func testConfig(t *testing.T) config.Config {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.MySQLAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.AdminAddr = "127.0.0.1:0"
	cfg.ShutdownTimeout = 5 * time.Second
	return cfg
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestStartFailsReadably(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(t *testing.T, c *config.Config)
		wantErr []string
	}{
		{"data dir is a regular file", func(t *testing.T, c *config.Config) {
			f := filepath.Join(t.TempDir(), "file")
			require.NoError(t, os.WriteFile(f, []byte("x"), 0o600))
			c.DataDir = f
		}, []string{"storage", "not a directory"}},
		{"data dir under a regular file", func(t *testing.T, c *config.Config) {
			f := filepath.Join(t.TempDir(), "file")
			require.NoError(t, os.WriteFile(f, []byte("x"), 0o600))
			c.DataDir = filepath.Join(f, "sub")
		}, []string{"storage", "not a directory"}},
		{"mysql port in use", func(t *testing.T, c *config.Config) {
			c.MySQLAddr = occupied(t)
		}, []string{"mysql", "already in use"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			tt.mutate(t, &cfg)
			s, err := server.New(cfg, discard())
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err = s.Start(ctx)
			require.Error(t, err)
			for _, want := range tt.wantErr {
				require.Contains(t, err.Error(), want)
			}
			require.Error(t, s.Ready(ctx), "a failed server is not ready")
		})
	}
}

func TestHTTPPortInUse(t *testing.T) {
	cfg := testConfig(t)
	cfg.HTTPAddr = occupied(t)
	err := server.Run(context.Background(), cfg, discard())
	require.Error(t, err)
	require.Contains(t, err.Error(), "http")
	require.Contains(t, err.Error(), "already in use")
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	cfg := testConfig(t)
	cfg.LogLevel = "loud"
	_, err := server.New(cfg, discard())
	require.ErrorContains(t, err, "log-level")
}

func TestNotReadyBeforeStart(t *testing.T) {
	s, err := server.New(testConfig(t), discard())
	require.NoError(t, err)
	require.ErrorContains(t, s.Ready(context.Background()), "storage is not open")
	require.Empty(t, s.MySQLAddr())
	require.NoError(t, s.Stop(context.Background()), "stop before start is a no-op")
}

// TestLifecycle runs the whole server: ready over HTTP, SQL over the
// wire, then a clean stop that releases the data directory and ports.
func TestLifecycle(t *testing.T) {
	cfg := testConfig(t)
	s, err := server.New(cfg, discard(), server.WithVersion("test"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, s.Start(ctx))
	require.ErrorContains(t, s.Start(ctx), "already started")

	base := "http://" + s.HTTPAddr()
	for path, code := range map[string]int{"/healthz": 200, "/readyz": 200, "/nope": 404} {
		require.Equal(t, code, httpStatus(t, base+path), path)
	}
	db := testutil.Connect(t, s.MySQLAddr())
	var one int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT 1").Scan(&one))
	require.Equal(t, 1, one)
	require.NoError(t, db.Close())

	require.NoError(t, s.Stop(ctx))
	require.NoError(t, s.Stop(ctx), "second stop")
	require.Error(t, s.Ready(ctx))
	_, err = net.DialTimeout("tcp", s.MySQLAddr(), time.Second)
	require.Error(t, err, "mysql listener closed")

	// The data directory is released: a second server opens it.
	s2, err := server.New(cfg, discard())
	require.NoError(t, err)
	require.NoError(t, s2.Start(ctx))
	require.NoError(t, s2.Stop(ctx))
}

// TestRunStopsOnCancel checks Run returns nil after its context ends.
func TestRunStopsOnCancel(t *testing.T) {
	cfg := testConfig(t)
	cfg.HTTPAddr = testutil.FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, cfg, discard()) }()

	deadline := time.Now().Add(60 * time.Second)
	for httpStatus(t, "http://"+cfg.HTTPAddr+"/readyz") != 200 {
		select {
		case err := <-done:
			t.Fatalf("Run returned before ready: %v", err)
		default:
		}
		require.True(t, time.Now().Before(deadline), "not ready within 60s")
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return within 60s of cancel")
	}
}

func TestStartServerHelper(t *testing.T) {
	addr, db := testutil.StartServer(t)
	require.NotEmpty(t, addr)
	var v string
	require.NoError(t, db.QueryRow("SELECT 'hello'").Scan(&v))
	require.Equal(t, "hello", v)
}

// occupied returns an address some listener holds until the test ends.
func occupied(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String()
}

// httpStatus returns the status of GET url, or 0 when it cannot connect.
func httpStatus(t *testing.T, url string) int {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	return resp.StatusCode
}
