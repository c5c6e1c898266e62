package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path"
	"path/filepath"
	"time"

	"github.com/grafana/dskit/services"

	"github.com/guocedb/guocedb/internal/adminapi"
	"github.com/guocedb/guocedb/internal/audit"
	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/backup"
	"github.com/guocedb/guocedb/internal/console"
	"github.com/guocedb/guocedb/internal/httpapi"
	"github.com/guocedb/guocedb/internal/metrics"
	"github.com/guocedb/guocedb/internal/mysqlserver"
)

// adminShutdownTimeout bounds draining admin requests at stop. A backup
// stream still running then is cut; its client sees the stream fail.
const adminShutdownTimeout = 10 * time.Second

// adminService serves the admin API on admin-addr: h2c (HTTP/1.1 and
// cleartext HTTP/2, which gRPC needs) without TLS, HTTP/1.1 and HTTP/2
// over TLS when a certificate is configured. With admin-addr empty it is
// an idle service, so the module graph stays the same.
func (s *Server) adminService() (services.Service, error) {
	if s.cfg.AdminAddr == "" {
		return services.NewIdleService(nil, nil).WithName(ModuleAdmin), nil
	}
	return newListenerService(ModuleAdmin, s, func() (listening, error) {
		// dskit started this module after mysql reached Running, so the
		// SQL server (sessions, accounts) is set.
		msrv := s.mysqlSrv.Load()
		if msrv == nil {
			return listening{}, errors.New("mysql server is not running")
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
		ln, err := net.Listen("tcp", s.cfg.AdminAddr)
		if err != nil {
			return listening{}, err
		}
		addr := ln.Addr().String()
		s.adminAddr.Store(&addr)
		s.announce()
		logger := s.logger.With("component", "admin")
		var protocols http.Protocols
		protocols.SetHTTP1(true)
		if tlsCfg == nil {
			protocols.SetUnencryptedHTTP2(true)
		} else {
			protocols.SetHTTP2(true)
		}
		srv := &http.Server{
			Handler: adminapi.NewHandler(adminapi.Options{
				Accounts:  msrv,
				Status:    statusSource{s: s},
				Readiness: readinessFunc(s.Ready),
				Sessions:  sessionsSource{msrv},
				Backup:    backupSource{s: s},
				Check:     checkSource{s: s},
				SlowLog:   slowLogSource{s: s},
				Cluster:   s.clusterAdmin(),
				Logger:    logger,
				Audit:     s.auditAdminCall,
			}),
			Protocols:         &protocols,
			TLSConfig:         tlsCfg,
			ReadHeaderTimeout: 5 * time.Second,
			// Idle keep-alive connections of finished CLI runs go away;
			// a backup stream is not idle and is not cut by this.
			IdleTimeout: 2 * time.Minute,
			ErrorLog:    slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		}
		return listening{
			serve: func() error {
				var err error
				if tlsCfg != nil {
					// The certificate is in TLSConfig; ServeTLS adds ALPN
					// h2 for gRPC.
					err = srv.ServeTLS(ln, "", "")
				} else {
					err = srv.Serve(ln)
				}
				if !errors.Is(err, http.ErrServerClosed) {
					return err
				}
				return nil
			},
			shutdown:        srv.Shutdown,
			shutdownTimeout: adminShutdownTimeout,
		}, nil
	}), nil
}

// readinessFunc adapts Server.Ready to adminapi.Readiness.
type readinessFunc func(context.Context) error

func (f readinessFunc) Ready(ctx context.Context) error { return f(ctx) }

// statusSource gives the Status RPC the fields of Server.Status, the
// document /status serves: one source for both.
type statusSource struct{ s *Server }

func (src statusSource) Status(ctx context.Context) (adminapi.Status, error) {
	st, err := src.s.Status(ctx)
	if err != nil {
		return adminapi.Status{}, err
	}
	return adminapi.Status{
		Version:       st.Version,
		Uptime:        time.Duration(st.UptimeSeconds * float64(time.Second)),
		DataSizeBytes: st.DataSize.TotalBytes,
		Databases:     st.Databases,
		Tables:        st.Tables,
		Connections:   int(st.Connections.Open),
		FormatVersion: uint64(st.FormatVersion),
		Cluster:       adminCluster(st.Cluster),
	}, nil
}

// adminCluster is the admin API's copy of /status's cluster section.
func adminCluster(c *httpapi.Cluster) *adminapi.ClusterStatus {
	if c == nil {
		return nil
	}
	out := &adminapi.ClusterStatus{NodeID: c.NodeID, Role: c.Role, Leader: c.Leader, Term: c.Term,
		CommitIndex: c.CommitIndex, Applied: c.AppliedIndex, Writable: c.Writable, LeaderChanges: c.LeaderChanges}
	for _, p := range c.Peers {
		out.Peers = append(out.Peers, adminapi.ClusterPeer{NodeID: p.NodeID, RaftAddr: p.RaftAddr, MatchIndex: p.MatchIndex, Lag: p.Lag, Active: p.Active, Learner: p.Learner})
	}
	return out
}

// dirSize sums the disk usage of the regular files under dir. Badger's own
// Size() is refreshed only once a minute, so right after start or a bulk
// load it lags; a walk of the few dozen files of a data directory is
// cheap. Files removed during the walk (compaction) are skipped.
func dirSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		total += diskUsage(info)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("data directory size: %w", err)
	}
	return total, nil
}

// sessionsSource adapts the MySQL server's process list.
type sessionsSource struct{ m *mysqlserver.Server }

func (src sessionsSource) Sessions() []adminapi.Session {
	list := src.m.Sessions()
	out := make([]adminapi.Session, len(list))
	for i, p := range list {
		out[i] = adminapi.Session(p)
	}
	return out
}

func (src sessionsSource) KillSession(id uint32, queryOnly bool) bool {
	return src.m.KillSession(id, queryOnly)
}

// backupSource streams an online backup of the open store: a snapshot
// pinned like a transaction's while the server keeps serving writes.
// backup.Write validates the base before the snapshot; its refusals are
// the caller's mistakes, not the server's failures.
type backupSource struct{ s *Server }

func (src backupSource) Backup(ctx context.Context, w io.Writer, req adminapi.BackupRequest) error {
	st := src.s.store.Load()
	if st == nil {
		return errors.New("storage is not open")
	}
	rec := console.Backup{Started: time.Now().UTC(), Kind: "full"}
	if req.Since != 0 {
		rec.Kind = "incremental"
	}
	cw := &countingWriter{w: w}
	_, err := backup.Write(ctx, st, cw, backup.Options{Since: req.Since, BaseID: req.BaseID, SourceVersion: src.s.version})
	rec.Finished, rec.Bytes = time.Now().UTC(), cw.n
	if err != nil {
		rec.Error = err.Error()
	}
	src.s.backups.add(rec)
	switch {
	case errors.Is(err, backup.ErrInvalidBase):
		return adminapi.InvalidArgument(err)
	case errors.Is(err, backup.ErrBaseAhead):
		return adminapi.FailedPrecondition(err)
	}
	return err
}

// countingWriter counts the bytes of a backup stream for its record.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// checkSource runs backend.Check on one snapshot of the open store; it
// reads, so it runs beside the traffic.
type checkSource struct{ s *Server }

func (src checkSource) Check(ctx context.Context) (adminapi.CheckReport, error) {
	st := src.s.store.Load()
	if st == nil {
		return adminapi.CheckReport{}, errors.New("storage is not open")
	}
	r, err := backend.Check(ctx, st, backend.CheckOptions{})
	if err != nil {
		return adminapi.CheckReport{}, err
	}
	var out adminapi.CheckReport
	for _, p := range r.Problems {
		obj := string(p.Kind)
		if p.Table != "" {
			obj = p.Database + "." + p.Table
			if p.Index != "" {
				obj += " index " + p.Index
			}
		}
		msg := string(p.Kind) + ": " + p.Detail
		if p.Key != nil {
			msg += fmt.Sprintf(" (key %x)", p.Key)
		}
		out.Problems = append(out.Problems, adminapi.CheckProblem{Object: obj, Message: msg})
	}
	out.Summary = fmt.Sprintf("checked %d databases, %d tables, %d indexes: %d rows, %d index entries; %d problems",
		r.Databases, r.Tables, r.Indexes, r.Rows, r.IndexEntries, r.ProblemCount)
	for _, n := range r.Notes {
		out.Summary += "\nnote: " + n
	}
	return out, nil
}

// slowLogSource gives the SlowLog RPC the slow query log's recent
// entries, newest first; none while the MySQL listener is not running.
type slowLogSource struct{ s *Server }

func (src slowLogSource) Recent(n int) []adminapi.SlowEntry {
	entries := src.s.SlowLog().Recent(n) // oldest first; nil-safe
	out := make([]adminapi.SlowEntry, len(entries))
	for i, e := range entries {
		out[len(entries)-1-i] = adminapi.SlowEntry{
			Time:         e.Time,
			Duration:     time.Duration(e.DurationSeconds * float64(time.Second)),
			Query:        e.Query,
			RowsExamined: e.RowsExamined,
			RowsSent:     e.RowsSent,
			User:         e.User,
			Database:     e.Database,
		}
	}
	return out
}

// auditAdminCall records an admin API call with its caller in the audit
// log (class admin); a refused call has the MySQL error of its refusal:
// 1045 for bad credentials or a throttled login, 1227 for a missing
// privilege.
func (s *Server) auditAdminCall(c adminapi.Call) {
	status := 0
	switch c.Code {
	case 0:
	case http.StatusForbidden:
		status = 1227 // ER_SPECIFIC_ACCESS_DENIED_ERROR
	default:
		status = 1045
	}
	s.auditLog.Load().Record(audit.Record{Event: audit.EventQuery, Class: string(metrics.ClassAdmin),
		User: c.User, Host: c.Host, Status: status, Query: "admin API " + path.Base(c.Procedure)})
}
