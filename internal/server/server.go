package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/dskit/modules"
	"github.com/grafana/dskit/services"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guocedb/guocedb/internal/audit"
	"github.com/guocedb/guocedb/internal/cluster"
	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/console"
	"github.com/guocedb/guocedb/internal/digest"
	"github.com/guocedb/guocedb/internal/metrics"
	"github.com/guocedb/guocedb/internal/mysqlserver"
	"github.com/guocedb/guocedb/internal/slowlog"
	"github.com/guocedb/guocedb/internal/storage"
)

// Module names, as dskit's module manager knows them.
const (
	// ModuleStorage opens the data directory and closes it last.
	ModuleStorage = "storage"
	// ModuleMySQL is the SQL engine and its MySQL wire listener.
	ModuleMySQL = "mysql"
	// ModuleHTTP serves /healthz, /readyz, /metrics, /status and the web
	// console (/ui/).
	ModuleHTTP = "http"
	// ModuleAdmin serves the admin API (gRPC and JSON over HTTP).
	ModuleAdmin = "admin"
	// ModuleAll is the target that runs everything.
	ModuleAll = "all"
)

// stopGrace is added to the configured shutdown timeout to bound a whole
// stop: the listeners' drain plus closing storage.
const stopGrace = 30 * time.Second

// Option customizes a Server.
type Option func(*Server)

// WithVersion sets the version advertised in the MySQL handshake.
func WithVersion(v string) Option { return func(s *Server) { s.version = v } }

// WithLoginProtection tunes login protection: tests shorten the lock
// day and the delays (there is no configuration key for them).
func WithLoginProtection(p mysqlserver.LoginProtection) Option {
	return func(s *Server) { s.login = p }
}

// Server is one guocedb process's components under a dskit module
// manager. Use New, then Start, then Stop (or Run for all three). Its
// methods are safe for concurrent use.
type Server struct {
	cfg     config.Config
	logger  *slog.Logger
	version string
	login   mysqlserver.LoginProtection

	// reg is this server's Prometheus registry (served at /metrics);
	// sqlMetrics its SQL counters, counting from New (a Server starts
	// once).
	reg        *prometheus.Registry
	sqlMetrics *metrics.SQL
	// digests, samples and backups outlive a listener's restart: the
	// statement summary, the console's graph history and the backups
	// served, all since New.
	digests *digest.Summary
	samples *console.Sampler
	backups *backupHistory

	// Set by the module services; read by readiness checks and accessors
	// from other goroutines, hence atomics.
	store atomic.Pointer[storage.Store]
	// storeUse is held (read) by HTTP handlers while they use the store:
	// HTTP outlives storage (see Start), and storage closes only after
	// taking it (write) and clearing store.
	storeUse sync.RWMutex
	// storageOpening is set while storage opens (the commit log replays).
	storageOpening atomic.Bool
	slowLog        atomic.Pointer[slowlog.Log]
	// auditLog is the audit log while the MySQL listener runs; the admin
	// API (stopped before it) records its calls there.
	auditLog   atomic.Pointer[audit.Log]
	mysqlReady atomic.Bool
	mysqlAddr  atomic.Pointer[string]
	httpAddr   atomic.Pointer[string]
	mysqlSrv   atomic.Pointer[mysqlserver.Server]
	// membership keeps a member's cluster state (nil: single node).
	membership atomic.Pointer[cluster.Membership]
	// transport is a member's raft transport while storage is open.
	transport atomic.Pointer[cluster.Transport]
	adminAddr atomic.Pointer[string]

	mu      sync.Mutex
	errs    []error // component errors, first is the root cause
	mgr     *services.Manager
	started bool
	stopped bool

	failed   chan struct{} // closed when any service fails
	failOnce sync.Once
}

// New returns a Server for cfg. It validates cfg but opens nothing.
func New(cfg config.Config, logger *slog.Logger, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, logger: logger, version: "dev", failed: make(chan struct{}), reg: metrics.NewRegistry()}
	for _, o := range opts {
		o(s)
	}
	var err error
	if s.sqlMetrics, err = metrics.NewSQL(s.reg); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := s.reg.Register(metrics.NewStorageCollector(s.storageStats)); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := s.reg.Register(metrics.NewClusterCollector(s.clusterStats)); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s.digests = digest.NewSummary(0)
	s.samples = console.NewSampler(s.reg, consoleSampleInterval, consoleWindow)
	s.backups = &backupHistory{}
	if err := s.reg.Register(metrics.NewServerCollector(s.version, s.serverState)); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return s, nil
}

// Start opens storage, then starts the listeners, and returns once all of
// them run, or with the first component's error (after stopping whatever
// had started). A Server starts at most once.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("server already started")
	}
	s.started = true
	s.mu.Unlock()

	mm := modules.NewManager(gokitLogger{s.logger.With("component", "modules")})
	mm.RegisterModule(ModuleStorage, s.storageService)
	mm.RegisterModule(ModuleMySQL, s.mysqlService)
	mm.RegisterModule(ModuleHTTP, s.httpService)
	mm.RegisterModule(ModuleAdmin, s.adminService)
	mm.RegisterModule(ModuleAll, nil)
	deps := []struct {
		mod  string
		deps []string
	}{
		// The engine reads and writes through the store: storage must be
		// open before the MySQL listener accepts, and dskit stops a module
		// only after its dependants, so every connection is closed (open
		// transactions rolled back) before the store closes.
		{ModuleMySQL, []string{ModuleStorage}},
		// HTTP starts first so that /readyz answers 503 while storage
		// opens, which replays the commit log (possibly for a while after
		// a crash), and stops last. Handlers use the store under
		// storeUse, so none sees it closing.
		{ModuleStorage, []string{ModuleHTTP}},
		// The admin API reads the process list and the users and grants of
		// the SQL server, and storage's sizes: it starts after mysql (hence
		// after storage) and, stopping first, never sees them closed.
		{ModuleAdmin, []string{ModuleMySQL}},
		{ModuleAll, []string{ModuleMySQL, ModuleHTTP, ModuleAdmin}},
	}
	for _, d := range deps {
		if err := mm.AddDependency(d.mod, d.deps...); err != nil {
			return fmt.Errorf("module %s: %w", d.mod, err)
		}
	}
	svcMap, err := mm.InitModuleServices(ModuleAll)
	if err != nil {
		return fmt.Errorf("init modules: %w", err)
	}
	svcs := make([]services.Service, 0, len(svcMap))
	for _, svc := range svcMap {
		svcs = append(svcs, svc)
	}
	mgr, err := services.NewManager(svcs...)
	if err != nil {
		return fmt.Errorf("service manager: %w", err)
	}
	mgr.AddListener(services.NewManagerListener(nil, nil, func(services.Service) {
		s.failOnce.Do(func() { close(s.failed) })
	}))
	s.mu.Lock()
	s.mgr = mgr
	s.mu.Unlock()

	if err := mgr.StartAsync(context.Background()); err != nil {
		return fmt.Errorf("start services: %w", err)
	}
	if err := mgr.AwaitHealthy(ctx); err != nil {
		stopErr := s.Stop(context.Background())
		if first := s.firstError(); first != nil {
			return first
		}
		return errors.Join(fmt.Errorf("start: %w", err), stopErr)
	}
	s.logger.Info("guocedb ready", "mysql_addr", s.MySQLAddr(), "http_addr", s.HTTPAddr(), "admin_addr", s.AdminAddr(), "data_dir", s.cfg.DataDir)
	return nil
}

// Failed is closed when a component fails after Start; call Stop then.
func (s *Server) Failed() <-chan struct{} { return s.failed }

// Stop stops the listeners, then storage, and waits for them up to ctx's
// deadline (and at most the shutdown timeout plus a grace period). It
// returns every component error seen since Start. Calling it again
// returns the same errors.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	mgr := s.mgr
	first := !s.stopped
	s.stopped = true
	s.mu.Unlock()
	if mgr == nil {
		return nil
	}
	if first {
		s.logger.Info("stopping")
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout+stopGrace)
	defer cancel()
	mgr.StopAsync()
	if err := mgr.AwaitStopped(ctx); err != nil {
		s.record(fmt.Errorf("stop did not finish: %w", err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// Run starts the server, serves until ctx is done (SIGINT/SIGTERM in
// main) or a component fails, then stops gracefully. It returns nil after
// a clean stop requested through ctx.
func Run(ctx context.Context, cfg config.Config, logger *slog.Logger, opts ...Option) error {
	s, err := New(cfg, logger, opts...)
	if err != nil {
		return err
	}
	if err := s.Start(ctx); err != nil {
		if ctx.Err() != nil && s.firstError() == nil {
			return nil // asked to stop while starting; nothing failed
		}
		return err
	}
	select {
	case <-ctx.Done():
	case <-s.Failed():
		s.logger.Error("component failed; stopping", "err", s.firstError())
	}
	return s.Stop(context.Background())
}

// MySQLAddr returns the bound MySQL address (HOST:PORT), or "" before
// the mysql module started.
func (s *Server) MySQLAddr() string { return loadString(&s.mysqlAddr) }

// HTTPAddr returns the bound HTTP address (HOST:PORT), or "" before the
// http module started.
func (s *Server) HTTPAddr() string { return loadString(&s.httpAddr) }

// AdminAddr returns the bound admin API address (HOST:PORT), or "" before
// the admin module started or when admin-addr is empty.
func (s *Server) AdminAddr() string { return loadString(&s.adminAddr) }

// A cluster member is not ready when it has not heard from its leader
// for leaderSilence (a follower hears a heartbeat every 200 ms), or is
// more than catchUpLag entries behind what it knows is committed.
const (
	leaderSilence = 5 * time.Second
	catchUpLag    = 1000
)

// Ready reports whether storage is open and the MySQL listener is
// serving, and on a cluster member whether it hears from a leader and
// is caught up; it backs /readyz.
func (s *Server) Ready(context.Context) error {
	if s.store.Load() == nil {
		if s.storageOpening.Load() {
			return errors.New("storage is opening (replaying the commit log)")
		}
		return errors.New("storage is not open")
	}
	if !s.mysqlReady.Load() {
		return errors.New("mysql listener is not serving")
	}
	// A cluster member that knows no leader serves neither writes nor
	// (soon) consistent reads: a load balancer should send clients
	// elsewhere. Its status is in memory, safe during a close.
	if st := s.store.Load(); st != nil && st.Clustered() {
		rs, ok := st.ClusterStatus()
		if ok && rs.Leader == 0 {
			return errors.New("no cluster leader known (election in progress, or no quorum)")
		}
		if since := st.SinceLeaderContact(); since > leaderSilence {
			return fmt.Errorf("no word from the cluster leader for %s (cut off from it?)", since.Round(time.Second))
		}
		if ok && rs.Commit > rs.Applied+catchUpLag {
			return fmt.Errorf("catching up: %d committed entries not applied here yet", rs.Commit-rs.Applied)
		}
	}
	return nil
}

// record keeps err (first one is reported as the cause) and returns it.
func (s *Server) record(err error) error {
	if err == nil {
		return nil
	}
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
	return err
}

func (s *Server) firstError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) == 0 {
		return nil
	}
	return s.errs[0]
}

func loadString(p *atomic.Pointer[string]) string {
	if v := p.Load(); v != nil {
		return *v
	}
	return ""
}
