package datasource

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/guocedb/guocedb/internal/exporter/config"
)

// State is the health of a source as last observed.
type State int

// Health states. Unknown means no check has finished yet; collectors treat
// it like Up and try the server.
const (
	StateUnknown State = iota
	StateUp
	StateDown
)

func (s State) String() string {
	switch s {
	case StateUp:
		return "up"
	case StateDown:
		return "down"
	default:
		return "unknown"
	}
}

// Health check backoff bounds: after a failure the next check comes after
// minBackoff, doubling up to the configured interval.
const minBackoff = 500 * time.Millisecond

// Source is one datasource: its resolved configuration, its pool and its
// health. All methods are safe for concurrent use. Start launches the
// health loop; Close stops it and closes the pool.
type Source struct {
	cfg    config.Source
	db     *sql.DB
	logger *slog.Logger

	mu        sync.Mutex
	state     State
	lastErr   error
	lastCheck time.Time
	flavor    string // detected; empty until known
	version   string

	cancel context.CancelFunc
	done   chan struct{}
}

// DSN builds the go-sql-driver/mysql DSN for cfg. It never logs or returns
// the password except inside the DSN itself.
func DSN(cfg config.Source) string {
	mc := mysql.NewConfig()
	mc.User = cfg.User
	mc.Passwd = cfg.Password
	mc.Net = "tcp"
	mc.Addr = cfg.Host
	mc.DBName = cfg.DBName
	// The dial timeout bounds connects to dead addresses; queries are
	// bounded by contexts.
	mc.Timeout = cfg.QueryTimeout
	// Text protocol only: no server-side prepared statements, which keeps
	// the exporter compatible with every MySQL-protocol server.
	mc.InterpolateParams = true
	mc.AllowNativePasswords = true
	return mc.FormatDSN()
}

// Open creates the pool for cfg. It does not connect: the first health
// check or scrape does.
func Open(cfg config.Source, logger *slog.Logger) (*Source, error) {
	db, err := sql.Open("mysql", DSN(cfg))
	if err != nil {
		return nil, fmt.Errorf("datasource %q: open pool: %w", cfg.Name, err)
	}
	db.SetMaxOpenConns(cfg.MaxOpenConns)
	db.SetMaxIdleConns(cfg.MaxIdleConns)
	db.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	s := &Source{
		cfg:    cfg,
		db:     db,
		logger: logger.With("datasource", cfg.Name),
		done:   make(chan struct{}),
	}
	if cfg.Flavor != config.FlavorAuto {
		s.flavor = cfg.Flavor
	}
	return s, nil
}

// Config returns the resolved configuration of the source.
func (s *Source) Config() config.Source { return s.cfg }

// Name returns the datasource name.
func (s *Source) Name() string { return s.cfg.Name }

// DB returns the pool. Callers must bound every query with a context.
func (s *Source) DB() *sql.DB { return s.db }

// Logger returns the logger tagged datasource=<name>.
func (s *Source) Logger() *slog.Logger { return s.logger }

// Start launches the background health check. It must be called at most
// once; Close stops it.
func (s *Source) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.healthLoop(ctx)
}

// Close stops the health check and closes the pool.
func (s *Source) Close() error {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("datasource %q: close pool: %w", s.cfg.Name, err)
	}
	return nil
}

// State returns the last observed health and its error.
func (s *Source) State() (State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state, s.lastErr
}

// Ping checks the server within the source's query timeout and the caller's
// context, and records the result as the source's health.
func (s *Source) Ping(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	err := s.db.PingContext(pctx)
	// A caller whose own deadline had passed learnt nothing about the
	// server: only the source's own timeout or a server error counts.
	if err == nil || ctx.Err() == nil {
		s.record(err)
	}
	if err != nil {
		return fmt.Errorf("datasource %q: ping: %w", s.cfg.Name, err)
	}
	return nil
}

func (s *Source) record(err error) {
	s.mu.Lock()
	prev := s.state
	if err != nil {
		s.state, s.lastErr = StateDown, err
	} else {
		s.state, s.lastErr = StateUp, nil
	}
	s.lastCheck = time.Now()
	cur := s.state
	s.mu.Unlock()
	if prev != cur {
		if err != nil {
			s.logger.Warn("datasource down", "err", err)
		} else {
			s.logger.Info("datasource up")
		}
	}
}

func (s *Source) healthLoop(ctx context.Context) {
	defer close(s.done)
	interval := s.cfg.HealthCheckInterval
	backoff := minBackoff
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		wait := interval
		if err := s.Ping(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			wait = backoff
			backoff = min(backoff*2, interval)
		} else {
			backoff = minBackoff
		}
		timer.Reset(wait)
	}
}

// Flavor returns the server flavor (config.FlavorMySQL, FlavorMariaDB or
// FlavorGuocedb) and version, asking the server once and caching the
// answer. A configured flavor other than auto wins.
func (s *Source) Flavor(ctx context.Context) (string, string, error) {
	s.mu.Lock()
	f, v := s.flavor, s.version
	s.mu.Unlock()
	if f != "" && v != "" {
		return f, v, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	var version, comment sql.NullString
	err := s.db.QueryRowContext(ctx, "SELECT VERSION(), @@version_comment").Scan(&version, &comment)
	if err != nil {
		// Some servers lack @@version_comment; VERSION() alone suffices.
		if err2 := s.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err2 != nil {
			return "", "", fmt.Errorf("datasource %q: detect flavor: %w", s.cfg.Name, errors.Join(err, err2))
		}
	}
	detected := DetectFlavor(version.String, comment.String)
	s.mu.Lock()
	if s.flavor == "" {
		s.flavor = detected
	}
	s.version = version.String
	f, v = s.flavor, s.version
	s.mu.Unlock()
	return f, v, nil
}

// DetectFlavor classifies a server by VERSION() and @@version_comment.
func DetectFlavor(version, comment string) string {
	all := strings.ToLower(version + " " + comment)
	switch {
	case strings.Contains(all, "guocedb"):
		return config.FlavorGuocedb
	case strings.Contains(all, "mariadb"):
		return config.FlavorMariaDB
	default:
		return config.FlavorMySQL
	}
}
