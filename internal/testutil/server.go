package testutil

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	// Registers the "mysql" database/sql driver.
	_ "github.com/go-sql-driver/mysql"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/server"
)

// startTimeout bounds starting an in-process server.
const startTimeout = 60 * time.Second

// ServerOption changes the configuration StartServer uses.
type ServerOption func(*serverOptions)

type serverOptions struct {
	cfg       config.Config
	logLevel  slog.Level
	dsnParams string
	adminAddr *string
	httpAddr  *string
	srvOpts   []server.Option
}

// WithServerOption passes an option to server.New (for example
// server.WithLoginProtection).
func WithServerOption(opt server.Option) ServerOption {
	return func(o *serverOptions) { o.srvOpts = append(o.srvOpts, opt) }
}

// WithAdminAddr stores the bound admin API address (127.0.0.1:PORT) in
// *addr once the server has started.
func WithAdminAddr(addr *string) ServerOption {
	return func(o *serverOptions) { o.adminAddr = addr }
}

// WithHTTPAddr stores the bound HTTP address (127.0.0.1:PORT: metrics,
// status, the web console) in *addr once the server has started.
func WithHTTPAddr(addr *string) ServerOption {
	return func(o *serverOptions) { o.httpAddr = addr }
}

// WithDSNParams adds go-sql-driver/mysql DSN parameters (such as
// "tls=NAME") to the connection StartServer returns.
func WithDSNParams(params string) ServerOption {
	return func(o *serverOptions) { o.dsnParams = params }
}

// WithDataDir runs the server on dir instead of a fresh t.TempDir(), for
// restart tests.
func WithDataDir(dir string) ServerOption {
	return func(o *serverOptions) { o.cfg.DataDir = dir }
}

// WithRootPassword sets the root password used on an empty data
// directory, and in the returned connection.
func WithRootPassword(pw string) ServerOption {
	return func(o *serverOptions) { o.cfg.RootPassword = pw }
}

// WithConfig lets a test change any other setting.
func WithConfig(fn func(*config.Config)) ServerOption {
	return func(o *serverOptions) { fn(&o.cfg) }
}

// WithLogLevel sets the level of the server's log, written to the test
// log (default warn).
func WithLogLevel(l slog.Level) ServerOption {
	return func(o *serverOptions) { o.logLevel = l }
}

// StartServer starts guocedb in-process on 127.0.0.1:0 (MySQL, HTTP and admin)
// over a t.TempDir() data directory, and returns the MySQL address and a
// connected *sql.DB (user root, no default database). The connection and
// the server are closed in t.Cleanup; a failed graceful stop fails the
// test.
func StartServer(t testing.TB, opts ...ServerOption) (string, *sql.DB) {
	t.Helper()
	o := serverOptions{cfg: config.Default(), logLevel: slog.LevelWarn}
	o.cfg.DataDir = t.TempDir()
	o.cfg.MySQLAddr = "127.0.0.1:0"
	o.cfg.HTTPAddr = "127.0.0.1:0"
	o.cfg.AdminAddr = "127.0.0.1:0"
	o.cfg.ShutdownTimeout = 10 * time.Second
	for _, fn := range opts {
		fn(&o)
	}
	checkPanics := watchPanics(t)
	logw := &testLogWriter{t: t}
	logger := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: o.logLevel}))

	srv, err := server.New(o.cfg, logger, append([]server.Option{server.WithVersion("test")}, o.srvOpts...)...)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		logw.close()
		t.Fatalf("start server: %v", err)
	}
	addr := srv.MySQLAddr()
	if o.adminAddr != nil {
		*o.adminAddr = srv.AdminAddr()
	}
	if o.httpAddr != nil {
		*o.httpAddr = srv.HTTPAddr()
	}
	dsn := DSN("root", o.cfg.RootPassword, addr, "")
	if o.dsnParams != "" {
		dsn += "&" + o.dsnParams
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		_ = srv.Stop(context.Background())
		logw.close()
		t.Fatalf("open connection: %v", err)
	}
	t.Cleanup(func() {
		defer logw.close()
		if err := db.Close(); err != nil {
			t.Errorf("close connection: %v", err)
		}
		if err := srv.Stop(context.Background()); err != nil {
			t.Errorf("stop server: %v", err)
		}
		checkPanics()
	})
	if err := pingUntil(db, 10*time.Second); err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	return addr, db
}

// DSN returns the go-sql-driver/mysql DSN for user:password@addr/db with
// the options guocedb's tests use.
func DSN(user, password, addr, db string) string {
	return fmt.Sprintf("%s:%s@tcp(%s)/%s?multiStatements=true&parseTime=true&interpolateParams=false",
		user, password, addr, db)
}

// Connect opens a *sql.DB for root (empty password) on addr, checks it
// answers within 10 s, and closes it in t.Cleanup.
func Connect(t testing.TB, addr string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", DSN("root", "", addr, ""))
	if err != nil {
		t.Fatalf("open connection: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := pingUntil(db, 10*time.Second); err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	return db
}

// pingUntil retries Ping every 50ms until it succeeds or d has passed.
func pingUntil(db *sql.DB, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// testLogWriter sends server logs to the test log until close; a line
// logged after the test finished would otherwise panic.
type testLogWriter struct {
	mu     sync.Mutex
	t      testing.TB
	closed bool
	// panics are the log lines that report a caught panic.
	panics []string
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	line := strings.TrimRight(string(p), "\n")
	if strings.Contains(line, panicText) {
		w.panics = append(w.panics, line)
		notePanic(line)
	}
	if !w.closed {
		w.t.Log(line)
	}
	return len(p), nil
}

// checkPanics fails the test for every caught panic the server logged.
func (w *testLogWriter) checkPanics() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, line := range w.panics {
		w.t.Errorf("the server logged a caught panic (a bug):\n%s", line)
	}
}

func (w *testLogWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

var _ io.Writer = (*testLogWriter)(nil)
