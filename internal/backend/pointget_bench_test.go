package backend_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/stretchr/testify/require"
)

// BenchmarkPointLookup reads one row through the table's index access
// path alone, below the parser and the analyzer, where the cost of the key
// read itself shows: the primary key and a UNIQUE secondary key (two
// reads: the index entry, then the row).
func BenchmarkPointLookup(b *testing.B) {
	const n = 10_000
	e, newCtx := benchEngine(b, n)
	ctx := newCtx()
	run(b, e, ctx, "CREATE UNIQUE INDEX uc ON t (c)")
	ctx = newCtx()
	tbl, _, err := e.Analyzer.Catalog.Table(ctx, "bench", "t")
	require.NoError(b, err)
	ia, ok := tbl.(sql.IndexAddressable)
	require.True(b, ok)
	indexes, err := ia.GetIndexes(ctx)
	require.NoError(b, err)
	byName := map[string]sql.Index{}
	for _, ix := range indexes {
		byName[ix.ID()] = ix
	}
	cases := []struct {
		name  string
		index string
		key   func(i int) any
		typ   sql.Type
	}{
		{"primary", "PRIMARY", func(i int) any { return int64(i) }, byName["PRIMARY"].ColumnExpressionTypes()[0].Type},
		{"unique", "uc", func(i int) any { return fmt.Sprintf("%064d", i) }, byName["uc"].ColumnExpressionTypes()[0].Type},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ix := byName[c.index]
			require.NotNil(b, ix)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := c.key((i * 7919) % n)
				lookup := sql.IndexLookup{
					Index:         ix,
					Ranges:        sql.MySQLRangeCollection{{sql.ClosedRangeColumnExpr(k, k, c.typ)}},
					IsPointLookup: true,
				}
				it, err := ia.IndexedAccess(ctx, lookup).LookupPartitions(ctx, lookup)
				if err != nil {
					b.Fatal(err)
				}
				p, err := it.Next(ctx)
				if err != nil {
					b.Fatal(err)
				}
				rows, err := ia.IndexedAccess(ctx, lookup).PartitionRows(ctx, p)
				if err != nil {
					b.Fatal(err)
				}
				got := 0
				for {
					_, err := rows.Next(ctx)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					got++
				}
				if got != 1 {
					b.Fatalf("got %d rows", got)
				}
				require.NoError(b, rows.Close(ctx))
			}
		})
	}
}
