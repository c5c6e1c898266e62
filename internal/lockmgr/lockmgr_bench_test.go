package lockmgr

import (
	"context"
	"encoding/binary"
	"testing"
)

// BenchmarkLockPerRow is the lock table's cost per row of a statement that
// locks 100 rows and then releases them at commit.
func BenchmarkLockPerRow(b *testing.B) {
	m := New(Options{})
	ctx := context.Background()
	keys := make([][]byte, 100)
	for i := range keys {
		keys[i] = binary.BigEndian.AppendUint64([]byte("t\x00\x00\x00\x01r"), uint64(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		txn := TxnID(i + 1)
		for _, k := range keys {
			if err := m.Lock(ctx, txn, k, Exclusive, long); err != nil {
				b.Fatal(err)
			}
		}
		m.ReleaseAll(txn)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/row")
}
