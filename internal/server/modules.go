package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/grafana/dskit/services"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/guocedb/guocedb/internal/audit"
	"github.com/guocedb/guocedb/internal/cluster"
	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/httpapi"
	"github.com/guocedb/guocedb/internal/mysqlserver"
	"github.com/guocedb/guocedb/internal/slowlog"
	"github.com/guocedb/guocedb/internal/storage"
)

// serveReturnGrace bounds the wait for a listener's serve loop to return
// once its shutdown is done (the listener is closed by then).
const serveReturnGrace = 5 * time.Second

// transferTimeout bounds a stopping leader's wait for another member to
// take over: past it, the others elect one after their election timeout.
const transferTimeout = 5 * time.Second

// httpShutdownTimeout bounds draining HTTP probes; they are short.
const httpShutdownTimeout = 5 * time.Second

// storageService opens the data directory when starting (replaying the
// commit log) and closes it when stopping. dskit stops it only after
// mysql has stopped, and before http.
func (s *Server) storageService() (services.Service, error) {
	// A cluster member's transport lives as long as its store: it
	// listens before the log opens and closes after it.
	var tr *cluster.Transport
	var stopReadOnly context.CancelFunc
	start := func(ctx context.Context) error {
		s.storageOpening.Store(true)
		defer s.storageOpening.Store(false)
		opts := s.cfg.StorageOptions()
		if s.cfg.EncryptionKeyFile != "" {
			key, err := encryption.LoadKeyFile(s.cfg.EncryptionKeyFile)
			if err != nil {
				return s.record(fmt.Errorf("storage: %w", err))
			}
			opts.EncryptionKey = key
		}
		if s.cfg.Clustered() {
			var err error
			if opts.Cluster, tr, opts.Attached, err = s.clusterOptions(); err != nil {
				return s.record(fmt.Errorf("cluster: %w", err))
			}
		}
		st, err := storage.OpenContext(ctx, s.cfg.DataDir, opts, s.logger.With("component", "storage"))
		if err != nil {
			if tr != nil {
				err = errors.Join(err, tr.Close())
			}
			return s.record(fmt.Errorf("storage: %w", err))
		}
		s.store.Store(st)
		if st.Clustered() {
			var roCtx context.Context
			roCtx, stopReadOnly = context.WithCancel(context.Background())
			go s.followReadOnly(roCtx, st)
			// While this member leads, learners that caught up become
			// voters.
			go s.membership.Load().PromoteLoop(roCtx)
		}
		return nil
	}
	stop := func(error) error {
		if stopReadOnly != nil {
			stopReadOnly()
		}
		s.storeUse.Lock()
		st := s.store.Swap(nil)
		s.storeUse.Unlock()
		var err error
		if st != nil && st.Clustered() {
			// The listeners have stopped: no commit of ours is in
			// flight. A leader hands over before it goes, so the others
			// need no election timeout to take writes again.
			ctx, cancel := context.WithTimeout(context.Background(), transferTimeout)
			if terr := st.TransferLeadership(ctx); terr != nil {
				s.logger.Warn("could not hand leadership over before stopping; the others will elect a leader", "err", terr)
			}
			cancel()
		}
		if st != nil {
			if cerr := st.Close(); cerr != nil {
				err = fmt.Errorf("storage: close: %w", cerr)
			}
		}
		if tr != nil {
			if cerr := tr.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("raft transport: close: %w", cerr))
			}
		}
		if err != nil {
			return s.record(err)
		}
		return nil
	}
	return services.NewIdleService(start, stop).WithName(ModuleStorage), nil
}

// mysqlService builds the engine over the open store and serves the MySQL
// protocol. It reports readiness (for /readyz) while it is Running.
func (s *Server) mysqlService() (services.Service, error) {
	return newListenerService(ModuleMySQL, s, func() (listening, error) {
		// dskit started this module only after storage reached Running, so
		// the store is set.
		st := s.store.Load()
		if st == nil {
			return listening{}, errors.New("storage is not open")
		}
		tlsCfg, err := mysqlserver.LoadTLS(mysqlserver.TLSOptions{
			CertFile:     s.cfg.TLSCert,
			KeyFile:      s.cfg.TLSKey,
			AutoGenerate: s.cfg.TLSAutoGenerate,
			MinVersion:   s.cfg.TLSMinVersion,
			DataDir:      s.cfg.DataDir,
		})
		if err != nil {
			return listening{}, err
		}
		var secureFiles string
		if s.cfg.SecureFilePriv != "" {
			if secureFiles, err = config.ResolveSecureFilePriv(s.cfg.SecureFilePriv); err != nil {
				return listening{}, fmt.Errorf("secure-file-priv: %w", err)
			}
		}
		// With encryption at rest, the statement text and database the
		// two logs write are sealed too (README "Encryption at rest").
		var fields *encryption.Sealer
		if key := st.EncryptionKey(); key != nil {
			if fields, err = encryption.NewSealer(key, encryption.LogFieldUse); err != nil {
				return listening{}, err
			}
		}
		slowOpts := slowlog.Options{Threshold: s.cfg.SlowQueryTime, Path: s.cfg.SlowLogPath()}
		auditOpts := audit.Options{
			Path: s.cfg.AuditLog, KeyFile: s.cfg.AuditKeyPath(), MaxSize: s.cfg.AuditLogMaxSize,
			Events: s.cfg.AuditEvents, Users: s.cfg.AuditUsers, OnSeq: s.sqlMetrics.SetAuditSeq,
		}
		if fields != nil {
			slowOpts.Sealer, auditOpts.Sealer = fields, fields
		}
		slow, err := slowlog.Open(slowOpts)
		if err != nil {
			return listening{}, err
		}
		auditLog, err := audit.Open(auditOpts)
		if err != nil {
			return listening{}, errors.Join(err, slow.Close())
		}
		srv, err := mysqlserver.New(mysqlserver.Config{
			Addr:                   s.cfg.MySQLAddr,
			RootPassword:           s.cfg.RootPassword,
			Version:                s.version,
			ShutdownTimeout:        s.cfg.ShutdownTimeout,
			TLS:                    tlsCfg,
			TLSMinVersion:          s.cfg.TLSMinVersion,
			RequireSecureTransport: s.cfg.RequireSecureTransport,
			LocalInfile:            s.cfg.LocalInfile,
			PlanCacheSize:          planCacheSize(s.cfg.PlanCacheSize),
			SecureFilePriv:         secureFiles,
			Metrics:                s.sqlMetrics,
			Login:                  s.login,
			Audit:                  auditLog,
			SlowLog:                slow,
			Digests:                s.digests,
			GroupMembers:           s.groupMembers,
			Forward:                s.forwarding(st),
		}, st, s.logger.With("component", "mysql"))
		if err != nil {
			return listening{}, errors.Join(err, slow.Close(), auditLog.Close())
		}
		// The first leader of a cluster tells the followers that the
		// accounts and the catalog exist: they start serving then.
		if st.Clustered() && st.Writable() {
			if err := st.MarkInitialized(context.Background()); err != nil {
				return listening{}, errors.Join(fmt.Errorf("cluster: mark initialized: %w", err), srv.Shutdown(context.Background()), slow.Close(), auditLog.Close())
			}
		}
		addr := srv.Addr().String()
		s.mysqlAddr.Store(&addr)
		s.announce()
		s.mysqlSrv.Store(srv)
		s.slowLog.Store(slow)
		s.auditLog.Store(auditLog)
		return listening{
			serve: srv.Serve,
			// The slow log closes once no statement runs any more.
			shutdown: func(ctx context.Context) error {
				err := srv.Shutdown(ctx)
				s.mysqlSrv.Store(nil)
				s.slowLog.Store(nil)
				s.auditLog.Store(nil)
				return errors.Join(err, slow.Close(), auditLog.Close())
			},
			shutdownTimeout: s.cfg.ShutdownTimeout,
			setReady:        s.mysqlReady.Store,
		}, nil
	}), nil
}

// httpService serves health, readiness, metrics, status and the web
// console over HTTP, and samples the metrics for the console's graphs
// while it runs.
func (s *Server) httpService() (services.Service, error) {
	return newListenerService(ModuleHTTP, s, func() (listening, error) {
		ln, err := net.Listen("tcp", s.cfg.HTTPAddr)
		if err != nil {
			return listening{}, err
		}
		addr := ln.Addr().String()
		s.httpAddr.Store(&addr)
		srv := &http.Server{
			Handler: httpapi.NewHandler(httpapi.Options{
				Readiness: httpapi.ReadinessFunc(s.Ready),
				Metrics: promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{
					ErrorLog: slog.NewLogLogger(s.logger.With("component", "metrics").Handler(), slog.LevelWarn),
					Registry: s.reg, // promhttp_metric_handler_* for the scrapes themselves
				}),
				Status:  httpapi.StatusFunc(s.Status),
				Console: s.newConsole(),
			}),
			ReadHeaderTimeout: 5 * time.Second,
			ErrorLog:          slog.NewLogLogger(s.logger.With("component", "http").Handler(), slog.LevelWarn),
		}
		sampleCtx, stopSampling := context.WithCancel(context.Background())
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			s.samples.Run(sampleCtx)
		}()
		return listening{
			serve: func() error {
				if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
					return err
				}
				return nil
			},
			shutdown: func(ctx context.Context) error {
				stopSampling()
				<-sampled
				return srv.Shutdown(ctx)
			},
			shutdownTimeout: httpShutdownTimeout,
		}, nil
	}), nil
}

// listening is a bound listener, ready to serve.
type listening struct {
	// serve blocks until shutdown; it returns nil after a shutdown.
	serve func() error
	// shutdown stops accepting and drains up to ctx's deadline.
	shutdown        func(ctx context.Context) error
	shutdownTimeout time.Duration
	// setReady, when set, is told whether the listener is serving.
	setReady func(bool)
}

// newListenerService runs a listener as a dskit service: open binds when
// starting (so a port in use fails the start), serve runs in its own
// goroutine from then on, and stopping calls shutdown and waits for serve
// to return. Errors are recorded on s with the module name in front.
//
// dskit runs the starting, running and stopping functions one after the
// other on one goroutine, so l and done need no locking.
func newListenerService(name string, s *Server, open func() (listening, error)) services.Service {
	var (
		l    listening
		done chan error // receives serve's result; nil once consumed
	)
	start := func(context.Context) error {
		var err error
		if l, err = open(); err != nil {
			return s.record(fmt.Errorf("%s: %w", name, err))
		}
		done = make(chan error, 1)
		go func() { done <- l.serve() }()
		// Ready once starting ends, not when run begins: Server.Start
		// returns when every service is Running, and dskit calls run
		// only after that, on another goroutine (/readyz answered 503
		// right after Start in CI).
		if l.setReady != nil {
			l.setReady(true)
		}
		return nil
	}
	run := func(ctx context.Context) error {
		if l.setReady != nil {
			defer l.setReady(false)
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-done:
			done = nil
			if err == nil {
				err = errors.New("listener stopped unexpectedly")
			}
			return s.record(fmt.Errorf("%s: serve: %w", name, err))
		}
	}
	stop := func(error) error {
		if l.setReady != nil {
			l.setReady(false)
		}
		if l.shutdown == nil {
			return nil // open failed: nothing to stop
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.shutdownTimeout)
		defer cancel()
		err := l.shutdown(ctx)
		if done != nil {
			// shutdown may have used all of ctx (it closes connections
			// at its deadline): serve, whose listener is closed by then,
			// gets a grace of its own.
			select {
			case serveErr := <-done:
				err = errors.Join(err, serveErr)
			case <-time.After(serveReturnGrace):
				err = errors.Join(err, errors.New("serve did not return after shutdown"))
			}
		}
		if err != nil {
			return s.record(fmt.Errorf("%s: shutdown: %w", name, err))
		}
		return nil
	}
	return services.NewBasicService(start, run, stop).WithName(name)
}

// planCacheSize maps the plan-cache-size setting (0: off) onto
// mysqlserver.Config's (0: the default, negative: off).
func planCacheSize(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
