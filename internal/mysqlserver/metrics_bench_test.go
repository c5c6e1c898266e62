package mysqlserver

import (
	"errors"
	"testing"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/metrics"
	"github.com/guocedb/guocedb/internal/slowlog"
)

// BenchmarkStatementProbe is what observing costs every statement: start,
// one result with a row, finish (slow log on, statement not slow).
func BenchmarkStatementProbe(b *testing.B) {
	m, err := metrics.NewSQL(prometheus.NewRegistry())
	require.NoError(b, err)
	slow, err := slowlog.Open(slowlog.Options{Threshold: 1 << 40})
	require.NoError(b, err)
	o := &observer{m: m, slow: slow}
	c := &mysql.Conn{}
	res := &sqltypes.Result{Rows: make([][]sqltypes.Value, 1)}
	sink := func(*sqltypes.Result, bool) error { return nil }
	b.ReportAllocs()
	for range b.N {
		p := o.start(c, "SELECT c FROM sbtest1 WHERE id = 42")
		_ = p.rows(sink)(res, false)
		p.finish(nil, "")
	}
}

func TestClientErrorCode(t *testing.T) {
	require.Equal(t, uint16(0), clientErrorCode(nil))
	require.Equal(t, uint16(1146), clientErrorCode(mysql.NewSQLError(1146, "42S02", "no such table")))
	require.Equal(t, uint16(mysql.ERUnknownError), clientErrorCode(errors.New("plain")))
}
