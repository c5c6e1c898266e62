package mysqlserver

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/backend"
)

// Session is one client connection of the process list, with the
// columns of SHOW PROCESSLIST.
type Session struct {
	ID      uint32
	User    string
	Host    string
	DB      string
	Command string
	// Time is how long the session has been in its current command.
	Time  time.Duration
	State string
	Info  string
	// ProgressDone and ProgressTotal are the rows a table rebuild of the
	// running statement (ALTER TABLE, CREATE INDEX) has handled, of the
	// table's rows; ProgressTotal is -1 when the count is unknown and both
	// are 0 when no rebuild runs.
	ProgressDone  int64
	ProgressTotal int64
}

// Sessions returns the open client connections ordered by id, as SHOW
// PROCESSLIST reports them. It is safe for concurrent use.
func (s *Server) Sessions() []Session {
	procs := s.engine.ProcessList.Processes()
	out := make([]Session, 0, len(procs))
	for _, p := range procs {
		done, total := rowProgress(p)
		out = append(out, Session{
			ID:      p.Connection,
			User:    p.User,
			Host:    p.Host,
			DB:      p.Database,
			Command: string(p.Command),
			Time:    time.Since(p.StartedAt),
			State:   processState(p),
			Info:    p.Query,

			ProgressDone:  done,
			ProgressTotal: total,
		})
	}
	slices.SortFunc(out, func(a, b Session) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// processState mirrors go-mysql-server's SHOW PROCESSLIST State column:
// the tables' progress when reported, else "running" for a query.
func processState(p sql.Process) string {
	names := make([]string, 0, len(p.Progress))
	for name := range p.Progress {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		tp := p.Progress[name]
		b.WriteString(strings.TrimSpace(tp.String()))
		parts := make([]string, 0, len(tp.PartitionsProgress))
		for _, pp := range tp.PartitionsProgress {
			parts = append(parts, pp.String())
		}
		sort.Strings(parts)
		for _, s := range parts {
			b.WriteString(", ")
			b.WriteString(s)
		}
	}
	if b.Len() == 0 && p.Command == sql.ProcessCommandQuery {
		return "running"
	}
	return b.String()
}

// rowProgress sums the rows progress of p's table rebuilds
// (backend.ProgressPartition entries): done of total, total -1 when one
// of them has no known count.
func rowProgress(p sql.Process) (done, total int64) {
	for _, tp := range p.Progress {
		pp, ok := tp.PartitionsProgress[backend.ProgressPartition]
		if !ok {
			continue
		}
		done += pp.Done
		if pp.Total < 0 || total < 0 {
			total = -1
		} else {
			total += pp.Total
		}
	}
	return done, total
}

// KillSession does what KILL QUERY id (queryOnly) or KILL CONNECTION id
// does: the running statement fails with error 1317, and without
// queryOnly the connection is closed too (its open transaction rolls
// back). It returns false when no connection has that id. Teardown is
// asynchronous, as for KILL: the connection may be listed a moment longer.
func (s *Server) KillSession(id uint32, queryOnly bool) bool {
	found := false
	for _, p := range s.engine.ProcessList.Processes() {
		if p.Connection == id {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	s.engine.ProcessList.Kill(id)
	if !queryOnly {
		// Closing the socket makes the handler end the connection, which
		// ends the session (rolling back) and removes it from the list.
		_ = s.srv.SessionManager().KillConnection(id)
	}
	return true
}
