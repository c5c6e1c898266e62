package server

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guocedb/guocedb/internal/httpapi"
	"github.com/guocedb/guocedb/internal/slowlog"
	"github.com/guocedb/guocedb/internal/storage"
)

// Status returns the server's summary for GET /status and other front
// ends (httpapi.StatusSource). It fails while storage is not open.
func (s *Server) Status(ctx context.Context) (httpapi.Status, error) {
	s.storeUse.RLock()
	defer s.storeUse.RUnlock()
	st := s.store.Load()
	if st == nil {
		return httpapi.Status{}, errors.New("storage is not open")
	}
	snap := s.sqlMetrics.Snapshot()
	lsm, vlog := st.Size()
	size, err := dirSize(s.cfg.DataDir)
	if err != nil {
		return httpapi.Status{}, fmt.Errorf("status: %w", err)
	}
	var keyID string
	if k := st.EncryptionKey(); k != nil {
		keyID = k.ID()
	}
	out := httpapi.Status{
		EncryptionKeyID: keyID,
		Version:         s.version,
		GoVersion:       runtime.Version(),
		StartTime:       s.sqlMetrics.Start().UTC(),
		UptimeSeconds:   snap.Uptime.Round(time.Millisecond).Seconds(),
		Ready:           s.Ready(ctx) == nil,
		DataDir:         s.cfg.DataDir,
		FormatVersion:   storage.FormatVersion,
		DataSize:        httpapi.DataSize{LSMBytes: lsm, VLogBytes: vlog, TotalBytes: size},
		Connections: httpapi.Connections{
			Open: snap.ConnectionsOpen, Total: snap.ConnectionsTotal,
			Refused: snap.ConnectionsRefused, MaxUsed: snap.ConnectionsMaxUsed,
		},
		Statements: httpapi.Statements{Running: snap.Running, Total: snap.Questions, Slow: snap.SlowStatements},
	}
	if m := s.mysqlSrv.Load(); m != nil {
		if out.Databases, out.Tables, err = m.SchemaCounts(); err != nil {
			return httpapi.Status{}, fmt.Errorf("status: %w", err)
		}
	}
	out.Cluster = s.clusterStatus(st)
	return out, nil
}

// storageStats feeds the storage collector: nothing while storage is
// closed. storeUse keeps storage from closing during a scrape.
func (s *Server) storageStats() (storage.Stats, bool) {
	s.storeUse.RLock()
	defer s.storeUse.RUnlock()
	st := s.store.Load()
	if st == nil {
		return storage.Stats{}, false
	}
	return st.Stats(), true
}

// Gatherer returns the server's Prometheus registry (what /metrics
// serves), for other front ends and tests.
func (s *Server) Gatherer() prometheus.Gatherer { return s.reg }

// SlowLog returns the slow query log while the MySQL listener runs (nil
// before and after), for its Recent entries.
func (s *Server) SlowLog() *slowlog.Log { return s.slowLog.Load() }
