package mysqlserver

import (
	"sort"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/plan"

	"github.com/guocedb/guocedb/internal/metrics"
	"github.com/guocedb/guocedb/internal/storage"
)

// go-mysql-server keeps status variables in one process-wide registry and
// counts few of them (Questions and Com_select/insert/update/delete per
// query it runs, including guocedb's own retries; Threads_* per process
// list); Uptime and Bytes_* stay 0. SHOW STATUS here answers from the
// server's own counters (metrics.SQL, which /metrics exports too), so the
// two agree and several servers in one process do not mix their counts.
// Names go-mysql-server does not list are not added: the set of names,
// already free of duplicates (status.go), stays the same.

// statusOverride builds SHOW [GLOBAL|SESSION] STATUS from the
// go-mysql-server registry with the server's own values put in. It is an
// executor override (asked for every node), so that the LIKE or WHERE
// filter above the node still applies.
type statusOverride struct {
	m     *metrics.SQL
	store *storage.Store
}

// Build implements sql.NodeExecBuilder; it builds only SHOW STATUS.
func (o statusOverride) Build(ctx *sql.Context, n sql.Node, _ sql.Row) (sql.RowIter, error) {
	ss, ok := n.(*plan.ShowStatus)
	if !ok {
		return nil, nil
	}
	// The node keeps its scope unexported; it is its only field.
	global := *ss == *plan.NewShowStatus(true)
	vars := sql.StatusVariables.NewGlobalMap()
	values := make(map[string]any, len(vars))
	for name, v := range vars {
		values[name] = v.Value()
	}
	if !global {
		// As go-mysql-server's own SHOW STATUS: the session's values
		// replace the global ones.
		for name, v := range ctx.Session.GetAllStatusVariables(ctx) {
			values[name] = v.Value()
		}
	}
	for name, v := range o.values(global) {
		if _, listed := values[name]; listed {
			values[name] = v
		}
	}
	if o.store != nil {
		// Innodb_deadlocks is MariaDB's (MySQL counts deadlocks only in
		// INNODB_METRICS); go-mysql-server does not list it, and
		// mysqld_exporter exports it from SHOW GLOBAL STATUS.
		values["Innodb_deadlocks"] = uint64(o.store.Locks().Stats().Deadlocks)
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	rows := make([]sql.Row, len(names))
	for i, name := range names {
		rows[i] = sql.Row{name, values[name]}
	}
	return sql.RowsToRowIter(rows...), nil
}

// values returns the server's own status values. Server-wide ones are
// given in both scopes; counters MySQL also keeps per session (Questions,
// Com_*, Bytes_*) only for GLOBAL, SESSION shows go-mysql-server's
// per-session counts of them.
func (o statusOverride) values(global bool) map[string]any {
	s := o.m.Snapshot()
	up := uint64(s.Uptime / time.Second)
	v := map[string]any{
		"Uptime":                    up,
		"Uptime_since_flush_status": up,
		"Threads_connected":         uint64(max(s.ConnectionsOpen, 0)),
		"Threads_running":           uint64(max(s.Running, 0)),
		"Max_used_connections":      uint64(max(s.ConnectionsMaxUsed, 0)),
		"Connections":               s.ConnectionsTotal,
		"Aborted_connects":          s.ConnectionsRefused,
	}
	if o.store != nil {
		// Row locks are server-wide: both scopes.
		ls := o.store.Locks().Stats()
		v["Innodb_row_lock_current_waits"] = uint64(max(ls.CurrentWaits, 0))
		v["Innodb_row_lock_waits"] = uint64(ls.Waits)
		v["Innodb_row_lock_time"] = uint64(ls.WaitTime / time.Millisecond)
		v["Innodb_row_lock_time_max"] = uint64(ls.MaxWait / time.Millisecond)
		var avg uint64
		if ls.Waits > 0 {
			avg = uint64(ls.WaitTime/time.Millisecond) / uint64(ls.Waits)
		}
		v["Innodb_row_lock_time_avg"] = avg
	}
	if !global {
		return v
	}
	v["Questions"] = s.Questions
	v["Queries"] = s.Questions
	v["Slow_queries"] = s.SlowStatements
	v["Bytes_sent"] = s.BytesSent
	v["Bytes_received"] = s.BytesReceived
	for c := range metrics.NumCommands {
		if name := c.StatusName(); name != "" {
			v[name] = s.Commands[c]
		}
	}
	if o.store != nil {
		st := o.store.Stats()
		v["Handler_commit"] = st.TxnCommitted
		v["Handler_rollback"] = st.TxnRolledBack + st.TxnConflicted
	}
	return v
}

// firstBuilder asks each executor override in turn; the first that builds
// the node wins.
type firstBuilder []sql.NodeExecBuilder

// Build implements sql.NodeExecBuilder.
func (b firstBuilder) Build(ctx *sql.Context, n sql.Node, r sql.Row) (sql.RowIter, error) {
	for _, o := range b {
		it, err := o.Build(ctx, n, r)
		if err != nil || it != nil {
			return it, err
		}
	}
	return nil, nil
}
