package backend_test

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkKeylessInsert inserts into a table without a primary key with
// one secondary index: one row per autocommit statement, and 100 rows per
// statement (where the per-row cost, not the fsync, dominates). Each row
// writes the row, its lookup entry and its index entry.
func BenchmarkKeylessInsert(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("rows=%d", batch), func(b *testing.B) {
			e, newCtx := benchEngine(b, 0)
			ctx := newCtx()
			run(b, e, ctx, "CREATE TABLE kl (k INT NOT NULL, c VARCHAR(120) NOT NULL, KEY k (k))")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var sb strings.Builder
				sb.WriteString("INSERT INTO kl VALUES ")
				for j := 0; j < batch; j++ {
					if j > 0 {
						sb.WriteByte(',')
					}
					fmt.Fprintf(&sb, "(%d,'%064d')", (i*batch+j)%1000, i*batch+j)
				}
				run(b, e, ctx, sb.String())
			}
		})
	}
}

// BenchmarkKeylessUpdate changes one row found through the secondary
// index of a 10,000-row table without a primary key: the stored row is
// then found by its lookup entry.
func BenchmarkKeylessUpdate(b *testing.B) {
	e, newCtx := benchEngine(b, 0)
	ctx := newCtx()
	run(b, e, ctx, "CREATE TABLE kl (k INT NOT NULL, c VARCHAR(120) NOT NULL, KEY k (k))")
	for lo := 0; lo < 10_000; lo += 1000 {
		var sb strings.Builder
		sb.WriteString("INSERT INTO kl VALUES ")
		for i := lo; i < lo+1000; i++ {
			if i > lo {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(%d,'%064d')", i, i)
		}
		run(b, e, ctx, sb.String())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run(b, e, ctx, fmt.Sprintf("UPDATE kl SET c = '%d' WHERE k = %d", i, (i*7919)%10_000))
	}
}
