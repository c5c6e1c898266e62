package codec

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
)

// benchSchema is a typical 10-column OLTP row (sysbench-like plus a few
// common types).
var benchSchema = sql.Schema{
	col("id", types.Int64), col("k", types.Int32), col("c", types.MustCreateString(sqltypes.Char, 120, sql.Collation_utf8mb4_0900_ai_ci)),
	col("pad", types.MustCreateString(sqltypes.Char, 60, sql.Collation_utf8mb4_0900_ai_ci)), col("price", dec102),
	col("created", dt6), col("flag", types.Int8), col("score", types.Float64), col("note", types.Text), col("qty", types.Uint32),
}

var benchRow = sql.Row{
	int64(123456789), int32(4242), "83868641912-28773972837-60736120486-75162659906-27563526494-20381887404-41576422241-93426793964-56405065102-33518432330",
	"67847967377-48000963322-62604785301-91415491898-96926520291", dec("1234.56"),
	utc(2024, 5, 17, 10, 11, 12, 131415), int8(1), 3.25, "a short note", uint32(77),
}

func BenchmarkEncodeRow(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 512)
	for i := 0; i < b.N; i++ {
		var err error
		buf, err = EncodeRow(buf[:0], benchSchema, benchRow)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeRow(b *testing.B) {
	b.ReportAllocs()
	enc, err := EncodeRow(nil, benchSchema, benchRow)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	for i := 0; i < b.N; i++ {
		if _, err := DecodeRow(enc, benchSchema); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeColumns decodes what sysbench's range statements read
// of a row (one column, c or k), against the whole row and a projection
// of it (the scan's path before DecodeColumns).
func BenchmarkDecodeColumns(b *testing.B) {
	enc, err := EncodeRow(nil, benchSchema, benchRow)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ords []int
	}{{"c", []int{2}}, {"k", []int{1}}} {
		b.Run(c.name+"/columns", func(b *testing.B) {
			cols := NewColumns(len(benchSchema), c.ords)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := DecodeColumns(enc, benchSchema, cols); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/row_then_project", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				row, err := DecodeRow(enc, benchSchema)
				if err != nil {
					b.Fatal(err)
				}
				out := make(sql.Row, len(c.ords))
				for j, o := range c.ords {
					out[j] = row[o]
				}
			}
		})
	}
}

func BenchmarkAppendKeyComposite(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for i := 0; i < b.N; i++ {
		buf = buf[:0]
		var err error
		for _, c := range []int{1, 2, 0} {
			if buf, err = AppendKey(buf, benchSchema[c].Type, benchRow[c], 0); err != nil {
				b.Fatal(err)
			}
		}
	}
}
