package backend

import (
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
)

// rowCounts are the table rows a session's statements read and wrote, for
// the slow query log's rows examined and the server's row metrics. They
// only grow; a reader takes differences around a statement. Atomics,
// because go-mysql-server may read partitions on several goroutines; each
// session has its own, so connections never contend on them.
type rowCounts struct {
	read, written atomic.Uint64
}

// RowCounts returns how many table rows the session's statements have read
// (returned by table and index scans) and written (inserted, updated or
// deleted; an UPDATE counts once, also on a table without primary key,
// which is updated in place) since it began.
func (s *Session) RowCounts() (read, written uint64) {
	return s.rows.read.Load(), s.rows.written.Load()
}

// sessionRows returns the counters of ctx's session, nil when it is not a
// guocedb session.
func sessionRows(ctx *sql.Context) *rowCounts {
	if ctx == nil {
		return nil
	}
	if s, ok := ctx.Session.(*Session); ok {
		return &s.rows
	}
	return nil
}

// countWritten adds one written row to ctx's session.
func countWritten(ctx *sql.Context) {
	if rc := sessionRows(ctx); rc != nil {
		rc.written.Add(1)
	}
}
