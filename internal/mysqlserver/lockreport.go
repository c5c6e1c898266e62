package mysqlserver

import (
	"time"

	"github.com/guocedb/guocedb/internal/backend"
)

// LockWait is one blocked lock request, for the web console's locks page:
// what performance_schema.data_lock_waits and data_locks say together.
type LockWait struct {
	// Waiting and Blocking are the connection ids (0 when not a client's).
	Waiting, Blocking uint64
	// Schema, Table and Index name the locked row's index; Data its key.
	Schema, Table, Index, Data string
	// Mode is what the waiter asked for (S or X); BlockingMode what the
	// blocker holds or waits for.
	Mode, BlockingMode string
	// Since is when the request started waiting.
	Since time.Time
}

// LockReport is the row lock table now and its counters since start.
type LockReport struct {
	Waits []LockWait
	// Held counts the locks held now, CurrentWaits the requests waiting.
	Held, CurrentWaits int
	// WaitsTotal, WaitTime, Deadlocks and Timeouts are counters since
	// start (Innodb_row_lock_waits, Innodb_row_lock_time, ...).
	WaitsTotal, Deadlocks, Timeouts int64
	WaitTime                        time.Duration
	// LatestDeadlock is SHOW ENGINE INNODB STATUS's LATEST DETECTED
	// DEADLOCK section, "" when none was detected.
	LatestDeadlock string
}

// LockReport returns the row lock table's waits and counters.
func (s *Server) LockReport() LockReport {
	v := lockViews{p: s.provider}
	m := v.locks()
	st := m.Stats()
	snap := m.Snapshot()
	r := LockReport{WaitsTotal: st.Waits, Deadlocks: st.Deadlocks, Timeouts: st.Timeouts, WaitTime: st.WaitTime}
	for _, l := range snap.Locks {
		if l.Granted {
			r.Held++
		} else {
			r.CurrentWaits++
		}
	}
	for _, w := range snap.Waits {
		o, _ := v.p.DescribeLockKey(w.Key)
		r.Waits = append(r.Waits, LockWait{
			Waiting: connOf(w.WaiterInfo), Blocking: connOf(w.BlockerInfo),
			Schema: o.Schema, Table: o.Table, Index: o.Index, Data: o.Data,
			Mode: modeName(w.WaiterMode), BlockingMode: modeName(w.BlockerMode), Since: w.WaitingSince,
		})
	}
	if d := m.LatestDeadlock(); d != nil {
		r.LatestDeadlock = d.String(v.describeKey)
	}
	return r
}

func connOf(info any) uint64 {
	if o, ok := info.(backend.LockOwner); ok {
		return uint64(o.ConnID)
	}
	return 0
}
