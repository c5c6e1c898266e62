package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/storage"
)

func TestSQLCounters(t *testing.T) {
	reg := NewRegistry()
	m, err := NewSQL(reg)
	require.NoError(t, err)
	_, err = NewSQL(reg)
	require.Error(t, err, "a second SQL on one registry is refused")

	m.ConnectionOpened()
	m.ConnectionOpened()
	m.ConnectionClosed()
	m.ConnectionRefused()
	m.StatementStarted()
	m.StatementFinished(Statement{Command: CommandSelect, Duration: 2 * time.Millisecond, RowsRead: 10, RowsSent: 3})
	m.StatementStarted()
	m.StatementFinished(Statement{Command: CommandInsert, Duration: 2 * time.Second, ErrorCode: 1062, RowsWritten: 1, Slow: true})
	m.CountCommand(CommandStmtPrepare)
	m.BytesReceived(100)
	m.BytesSent(250)

	s := m.Snapshot()
	require.Equal(t, int64(1), s.ConnectionsOpen)
	require.Equal(t, uint64(2), s.ConnectionsTotal)
	require.Equal(t, int64(2), s.ConnectionsMaxUsed)
	require.Equal(t, uint64(1), s.ConnectionsRefused)
	require.Equal(t, int64(0), s.Running)
	require.Equal(t, uint64(2), s.Questions)
	require.Equal(t, uint64(1), s.Commands[CommandSelect])
	require.Equal(t, uint64(1), s.Commands[CommandStmtPrepare])
	require.Equal(t, uint64(1), s.SlowStatements)
	require.Equal(t, [3]uint64{10, 1, 3}, [3]uint64{s.RowsRead, s.RowsWritten, s.RowsSent})
	require.Positive(t, s.Uptime)

	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP guocedb_connections_open Client connections open now.
# TYPE guocedb_connections_open gauge
guocedb_connections_open 1
# HELP guocedb_connections_refused_total Connections refused before or during the login.
# TYPE guocedb_connections_refused_total counter
guocedb_connections_refused_total 1
# HELP guocedb_statement_errors_total Client statements that failed, by MySQL error code.
# TYPE guocedb_statement_errors_total counter
guocedb_statement_errors_total{code="1062"} 1
# HELP guocedb_sent_bytes_total Bytes sent to clients (on the wire).
# TYPE guocedb_sent_bytes_total counter
guocedb_sent_bytes_total 250
`), "guocedb_connections_open", "guocedb_connections_refused_total", "guocedb_statement_errors_total", "guocedb_sent_bytes_total"))
	require.Equal(t, float64(1), testutil.ToFloat64(m.errors.WithLabelValues("1062")))

	mfs, err := reg.Gather()
	require.NoError(t, err)
	byName := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		byName[mf.GetName()] = mf
	}
	for _, want := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		require.Contains(t, byName, want)
	}
	require.Equal(t, uint64(2), byName["guocedb_statement_duration_seconds"].GetMetric()[0].GetHistogram().GetSampleCount())
	statements := byName["guocedb_statements_total"].GetMetric()
	require.Len(t, statements, int(NumCommands), "every command is exported, also at 0")
	for _, s := range statements {
		want := 0.0
		if l := s.GetLabel()[0].GetValue(); l == "select" || l == "insert" || l == "stmt_prepare" {
			want = 1
		}
		require.Equal(t, want, s.GetCounter().GetValue(), s.GetLabel()[0].GetValue())
	}
}

func TestStorageCollector(t *testing.T) {
	open := false
	st := storage.Stats{LSMBytes: 10, VLogBytes: 20, Levels: []storage.LevelStats{{Level: 0, Tables: 2, Bytes: 5, Compactions: 3}},
		BlockCacheHits: 7, TxnCommitted: 4, TxnConflicted: 1}
	c := NewStorageCollector(func() (storage.Stats, bool) { return st, open })
	require.Equal(t, 0, testutil.CollectAndCount(c), "nothing while the store is closed")
	open = true
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(`
# HELP guocedb_badger_compactions_total Compactions out of one LSM level finished since the store opened.
# TYPE guocedb_badger_compactions_total counter
guocedb_badger_compactions_total{level="0"} 3
# HELP guocedb_badger_lsm_size_bytes Size of Badger's LSM tree on disk (refreshed by Badger about once a minute).
# TYPE guocedb_badger_lsm_size_bytes gauge
guocedb_badger_lsm_size_bytes 10
# HELP guocedb_transactions_total Transactions with writes by outcome: committed, rolled_back, conflicted (commit refused with error 1213).
# TYPE guocedb_transactions_total counter
guocedb_transactions_total{outcome="committed"} 4
guocedb_transactions_total{outcome="conflicted"} 1
guocedb_transactions_total{outcome="rolled_back"} 0
`), "guocedb_badger_compactions_total", "guocedb_badger_lsm_size_bytes", "guocedb_transactions_total"))
}

// BenchmarkStatementFinished is the per-statement cost of the counters.
func BenchmarkStatementFinished(b *testing.B) {
	m, err := NewSQL(NewRegistry())
	require.NoError(b, err)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.StatementStarted()
			m.StatementFinished(Statement{Command: CommandSelect, Duration: time.Millisecond, RowsRead: 1, RowsSent: 1})
		}
	})
}
