package server

import (
	"context"
	"sync"
	"time"

	"github.com/guocedb/guocedb/internal/adminapi"
	"github.com/guocedb/guocedb/internal/console"
	"github.com/guocedb/guocedb/internal/httpapi"
	"github.com/guocedb/guocedb/internal/metrics"
)

// Console sampling: one sample of the server's metrics every
// consoleSampleInterval, an hour of them kept for the overview's graphs.
const (
	consoleSampleInterval = 10 * time.Second
	consoleWindow         = time.Hour
)

// newConsole builds the web console over this server. The HTTP listener
// may serve before the MySQL server runs (and after it stopped): every
// source reads the current one at call time and answers nothing (or
// refuses logins) without it.
func (s *Server) newConsole() *console.Console {
	return console.New(console.Options{
		Accounts: consoleAccounts{s},
		Status:   httpapi.StatusFunc(s.Status),
		Sessions: consoleSessions{s},
		SlowLog:  slowLogSource{s: s},
		Digests:  s.digests,
		Tables:   consoleTables{s},
		Backups:  s.backups,
		Locks:    consoleLocks{s},
		Samples:  s.samples,
	}, s.logger.With("component", "console"))
}

// consoleAccounts checks credentials against the running MySQL server's
// accounts, the check the admin API uses (adminapi.Accounts).
type consoleAccounts struct{ s *Server }

func (a consoleAccounts) VerifyPassword(user, password, host string) bool {
	m := a.s.mysqlSrv.Load()
	return m != nil && m.VerifyPassword(user, password, host)
}

func (a consoleAccounts) HasAnyPrivilege(user, host string, privileges ...string) bool {
	m := a.s.mysqlSrv.Load()
	return m != nil && m.HasAnyPrivilege(user, host, privileges...)
}

// consoleSessions is the process list of the running MySQL server.
type consoleSessions struct{ s *Server }

func (c consoleSessions) Sessions() []adminapi.Session {
	m := c.s.mysqlSrv.Load()
	if m == nil {
		return nil
	}
	return sessionsSource{m}.Sessions()
}

func (c consoleSessions) KillSession(id uint32, queryOnly bool) bool {
	m := c.s.mysqlSrv.Load()
	return m != nil && m.KillSession(id, queryOnly)
}

// consoleLocks is the row lock table of the running MySQL server.
type consoleLocks struct{ s *Server }

func (c consoleLocks) LockReport() console.LockReport {
	m := c.s.mysqlSrv.Load()
	if m == nil {
		return console.LockReport{}
	}
	r := m.LockReport()
	out := console.LockReport{Held: r.Held, CurrentWaits: r.CurrentWaits, WaitsTotal: r.WaitsTotal,
		WaitSeconds: r.WaitTime.Seconds(), Deadlocks: r.Deadlocks, Timeouts: r.Timeouts, LatestDeadlock: r.LatestDeadlock}
	for _, w := range r.Waits {
		out.Waits = append(out.Waits, console.LockWait{Waiting: w.Waiting, Blocking: w.Blocking, Schema: w.Schema,
			Table: w.Table, Index: w.Index, Data: w.Data, Mode: w.Mode, BlockingMode: w.BlockingMode,
			WaitSeconds: time.Since(w.Since).Seconds()})
	}
	return out
}

// consoleTables lists the stored tables of the running MySQL server.
type consoleTables struct{ s *Server }

func (c consoleTables) Tables(ctx context.Context) ([]console.Table, error) {
	m := c.s.mysqlSrv.Load()
	if m == nil {
		return nil, nil
	}
	stats, err := m.TableStats(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]console.Table, len(stats))
	for i, t := range stats {
		out[i] = console.Table{Database: t.Database, Name: t.Table, Rows: t.Rows, RowsExact: t.Exact, DataBytes: t.DataBytes}
	}
	return out, nil
}

// serverState feeds guocedb_ready, the disk gauges and the backup
// counters at each scrape.
func (s *Server) serverState() metrics.ServerState {
	st := metrics.ServerState{Ready: s.Ready(context.Background()) == nil}
	if free, size, ok := diskSpace(s.cfg.DataDir); ok {
		if used, err := dirSize(s.cfg.DataDir); err == nil {
			st.DiskKnown, st.DataDirBytes, st.DiskFreeBytes, st.DiskSizeBytes = true, uint64(used), free, size
		}
	}
	st.BackupsCompleted, st.BackupsFailed, st.LastBackupSuccess = s.backups.counts()
	return st
}

// maxBackupHistory bounds the backups the server remembers.
const maxBackupHistory = 20

// backupHistory remembers the online backups served since the start, for
// the console. Safe for concurrent use.
type backupHistory struct {
	mu   sync.Mutex
	list []console.Backup // oldest first
	// Counts since the start, for the metrics (the list is bounded).
	completed, failed uint64
	lastSuccess       time.Time
}

func (h *backupHistory) add(b console.Backup) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if b.Error == "" {
		h.completed++
		h.lastSuccess = b.Finished
	} else {
		h.failed++
	}
	h.list = append(h.list, b)
	if len(h.list) > maxBackupHistory {
		h.list = h.list[len(h.list)-maxBackupHistory:]
	}
}

// counts returns the backups completed and failed since the start and
// when the last complete one finished (Unix seconds, 0 for none).
func (h *backupHistory) counts() (completed, failed uint64, lastSuccess float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.lastSuccess.IsZero() {
		lastSuccess = float64(h.lastSuccess.UnixNano()) / 1e9
	}
	return h.completed, h.failed, lastSuccess
}

// RecentBackups implements console.Backups.
func (h *backupHistory) RecentBackups() []console.Backup {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]console.Backup, len(h.list))
	for i, b := range h.list {
		out[len(h.list)-1-i] = b
	}
	return out
}
