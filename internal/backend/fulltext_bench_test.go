package backend_test

import (
	"fmt"
	"strings"
	"testing"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
)

// ftDoc is document i: a word every document has, a word shared by every
// hundredth document and a word of its own.
func ftDoc(i int) string { return fmt.Sprintf("common t%03d u%06d text", i%100, i) }

// ftEngine opens an engine with bench.docs(id, body, FULLTEXT(body)) of n
// documents.
func ftEngine(b *testing.B, n int) (*sqle.Engine, *sql.Context) {
	b.Helper()
	e, newCtx, closeAll := openBenchEngine(b, b.TempDir())
	b.Cleanup(closeAll)
	ctx := newCtx()
	run(b, e, ctx, "CREATE DATABASE bench")
	run(b, e, ctx, "CREATE TABLE docs (id BIGINT PRIMARY KEY, body TEXT NOT NULL, FULLTEXT KEY ft (body))")
	const batch = 500
	for lo := 0; lo < n; lo += batch {
		var sb strings.Builder
		sb.WriteString("INSERT INTO docs VALUES ")
		for i := lo; i < min(lo+batch, n); i++ {
			if i > lo {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(%d,'%s')", i, ftDoc(i))
		}
		run(b, e, ctx, sb.String())
	}
	return e, ctx
}

// BenchmarkFulltextMatch looks up one document by its own word, and the 50
// of a shared word, through the FULLTEXT index.
func BenchmarkFulltextMatch(b *testing.B) {
	const n = 5_000
	e, ctx := ftEngine(b, n)
	for _, tc := range []struct {
		name string
		word func(i int) string
		rows int
	}{
		{"rows=1", func(i int) string { return fmt.Sprintf("u%06d", i%n) }, 1},
		{"rows=50", func(i int) string { return fmt.Sprintf("t%03d", i%100) }, n / 100},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				rows := run(b, e, ctx, "SELECT id FROM docs WHERE MATCH(body) AGAINST('"+tc.word(i)+"')")
				if len(rows) != tc.rows {
					b.Fatalf("got %d rows, want %d", len(rows), tc.rows)
				}
			}
		})
	}
}

// BenchmarkFulltextInsert commits one four-word document per statement.
func BenchmarkFulltextInsert(b *testing.B) {
	e, ctx := ftEngine(b, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		run(b, e, ctx, fmt.Sprintf("INSERT INTO docs VALUES (%d, '%s')", i, ftDoc(i)))
	}
}
