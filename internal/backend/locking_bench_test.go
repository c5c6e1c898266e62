package backend_test

import (
	"fmt"
	"testing"
)

// BenchmarkLockingRead is the cost of a row lock per row at the SQL layer:
// the same 100-row primary key range read plainly and FOR UPDATE (each
// statement in autocommit, so its locks are taken and released every
// time). The difference divided by 100 is the lock's cost per row: the
// lock table, the current re-read of the row and the release at commit.
func BenchmarkLockingRead(b *testing.B) {
	for _, mode := range []struct{ name, clause string }{{"plain", ""}, {"for_update", " FOR UPDATE"}, {"for_share", " FOR SHARE"}} {
		b.Run(mode.name, func(b *testing.B) {
			e, newCtx := benchEngine(b, 10_000)
			ctx := newCtx()
			run(b, e, ctx, "SELECT id FROM t WHERE id BETWEEN 0 AND 99"+mode.clause)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lo := (i * 100) % 9_900
				rows := run(b, e, ctx, fmt.Sprintf("SELECT id FROM t WHERE id BETWEEN %d AND %d%s", lo, lo+99, mode.clause))
				if len(rows) != 100 {
					b.Fatalf("got %d rows", len(rows))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/row")
		})
	}
}
