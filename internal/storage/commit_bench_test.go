package storage

import (
	"context"
	"encoding/binary"
	"os"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkCommit measures durable (SyncWrites: fsynced in the commit
// log) commits of one small transaction each. Compare the serial and
// parallel results: with group commit, concurrent committers share the
// log's fsyncs, so ns/op falls as parallelism rises instead of staying at
// one fsync per commit.
func BenchmarkCommit(b *testing.B) {
	for _, par := range []int{1, 8, 32} {
		b.Run(map[int]string{1: "serial", 8: "parallel=8", 32: "parallel=32"}[par], func(b *testing.B) {
			opts := DefaultOptions()
			opts.SyncWrites = os.Getenv("BENCH_NOSYNC") == ""
			s, err := Open(b.TempDir(), opts, nil)
			require.NoError(b, err)
			b.Cleanup(func() { _ = s.Close() })
			var n atomic.Uint64
			val := make([]byte, 100)
			b.SetParallelism(par)
			b.ReportAllocs()
			b.ResetTimer()
			commit := func() {
				txn := s.Begin()
				key := binary.BigEndian.AppendUint64([]byte("k"), n.Add(1))
				if err := txn.Set(key, val); err != nil {
					b.Error(err)
				}
				if err := txn.Commit(context.Background()); err != nil {
					b.Error(err)
				}
			}
			if par == 1 {
				for i := 0; i < b.N; i++ {
					commit()
				}
				return
			}
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					commit()
				}
			})
		})
	}
}
