package mysqlserver

import (
	"strings"
	"testing"

	"github.com/guocedb/guocedb/internal/metrics"
	"github.com/guocedb/guocedb/internal/sqltext"
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
// client statement pays before go-mysql-server parses it: the one
// classification (sqltext.Classify) and its command, then the KILL, DO,
// SHOW ERRORS, GET DIAGNOSTICS, SHOW ENGINE STATUS, CHECKSUM TABLE and
// stored function gates, the replay kind and the CALL check (handler.go,
// in the order ComQuery runs them; stmtclass.go).
func BenchmarkStatementHeuristics(b *testing.B) {
	h := &handler{connectionExists: func(uint32) bool { return true }}
	b.ReportAllocs()
	var sink int
	for i := range b.N {
		q := benchStatements[i%len(benchStatements)]
		st := sqltext.Classify(q)
		cmd := metrics.ClassifyStatement(&st)
		sink += int(cmd)
		if h.unknownThread(cmd, q) != nil {
			b.Fatal("not a KILL")
		}
		if strings.EqualFold(st.Word(0), "do") {
			b.Fatal("not a DO")
		}
		if st.Is("show") || st.Is("get") || st.Is("checksum") {
			b.Fatal("not a SHOW, GET or CHECKSUM")
		}
		if isRoutineGate(&st) && containsFold(q, "function") {
			b.Fatal("not a routine statement")
		}
		sink += int(replayKind(cmd, q))
		if mayBeCall(cmd, q) {
			b.Fatal("not a CALL")
		}
	}
	_ = sink
}
