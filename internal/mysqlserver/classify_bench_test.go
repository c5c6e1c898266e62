package mysqlserver

import (
	"testing"

	"github.com/guocedb/guocedb/internal/metrics"
)

// benchStatements are typical client statements: sysbench's point select
// and its read-only range, a write, and a transaction boundary.
var benchStatements = []string{
	"SELECT c FROM sbtest1 WHERE id = 42",
	"SELECT DISTINCT c FROM sbtest3 WHERE id BETWEEN 4711 AND 4810 ORDER BY c",
	"UPDATE sbtest2 SET k = k + 1 WHERE id = 17",
	"COMMIT",
}

// BenchmarkStatementHeuristics measures the text classification every
// client statement pays before go-mysql-server parses it: the metrics
// command, the KILL check, the DO check, the replay kind and the CALL
// check (handler.go, in the order ComQuery runs them). The command is
// computed once and gates the others (stmtclass.go).
func BenchmarkStatementHeuristics(b *testing.B) {
	h := &handler{connectionExists: func(uint32) bool { return true }}
	b.ReportAllocs()
	var sink int
	for i := range b.N {
		q := benchStatements[i%len(benchStatements)]
		cmd := metrics.Classify(q)
		sink += int(cmd)
		if h.unknownThread(cmd, q) != nil {
			b.Fatal("not a KILL")
		}
		if _, ok := asDoSelect(q); ok {
			b.Fatal("not a DO")
		}
		sink += int(replayKind(cmd, q))
		if mayBeCall(cmd, q) {
			b.Fatal("not a CALL")
		}
	}
	_ = sink
}
