package backend_test

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkInsertConcurrent commits one row per statement from
// GOMAXPROCS*4 sessions at once (autocommit, durable), as sysbench's
// oltp_insert does: every commit also writes its row count delta
// (rowcount.go), which must neither conflict nor cost much.
func BenchmarkInsertConcurrent(b *testing.B) {
	e, newCtx := benchEngine(b, 0)
	var next atomic.Int64
	b.SetParallelism(4)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := newCtx()
		for pb.Next() {
			i := next.Add(1)
			run(b, e, ctx, fmt.Sprintf("INSERT INTO t VALUES (%d, %d, 'x')", i, i%1000))
		}
	})
}

// BenchmarkInsertBatch inserts 100 rows per statement and commit: the
// per-row cost of the count delta (a buffered read and write).
func BenchmarkInsertBatch(b *testing.B) {
	e, newCtx := benchEngine(b, 0)
	ctx := newCtx()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := "INSERT INTO t VALUES "
		for j := 0; j < 100; j++ {
			if j > 0 {
				q += ","
			}
			id := i*100 + j
			q += fmt.Sprintf("(%d, %d, 'x')", id, id%1000)
		}
		run(b, e, ctx, q)
	}
}

// BenchmarkCountStar is COUNT(*) of a 100,000-row table: answered from
// the row count (table_count) when it is exact, by a scan otherwise.
func BenchmarkCountStar(b *testing.B) {
	e, newCtx := benchEngine(b, 100_000)
	ctx := newCtx()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows := run(b, e, ctx, "SELECT COUNT(*) FROM t")
		if len(rows) != 1 || fmt.Sprint(rows[0][0]) != "100000" {
			b.Fatalf("got %v", rows)
		}
	}
}
