package raftlog_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/raftlog"
)

// BenchmarkPropose measures an append to the commit log (propose, write,
// apply) with entries in the clear and sealed (encryption at rest), for
// a small and a larger write set. NoSync: the fsync would hide the
// encoding cost being compared; with fsync the two are within noise of
// the disk.
func BenchmarkPropose(b *testing.B) {
	for _, size := range []int{256, 4096, 64 << 10} {
		for _, sealed := range []bool{false, true} {
			name := fmt.Sprintf("size=%d/plain", size)
			if sealed {
				name = fmt.Sprintf("size=%d/sealed", size)
			}
			b.Run(name, func(b *testing.B) {
				opts := raftlog.Options{Dir: filepath.Join(b.TempDir(), "log"), Apply: func([]raftlog.Entry) error { return nil }, NoSync: true}
				if sealed {
					opts.Sealer = sealer(b, testKey(b, "5a"))
				}
				l, _, err := raftlog.Open(opts)
				require.NoError(b, err)
				defer func() { require.NoError(b, l.Close()) }()
				data := make([]byte, raftlog.HeaderLen+size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := l.Propose(data); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkProposeDurable is group commit with fsync on: 8 proposers
// at once, as 8 client connections committing, over a growing segment
// and over a preallocated one (Options.Preallocate). ns/op is the log's
// time per commit at that concurrency; compare it with the fsync
// histogram.
func BenchmarkProposeDurable(b *testing.B) {
	for _, prealloc := range []bool{false, true} {
		name := "growing"
		if prealloc {
			name = "preallocated"
		}
		b.Run(name, func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "log")
			l, _, err := raftlog.Open(raftlog.Options{Dir: dir, Apply: func([]raftlog.Entry) error { return nil }, Preallocate: prealloc})
			require.NoError(b, err)
			defer func() { require.NoError(b, l.Close()) }()
			if prealloc {
				// Past the first rotation, onto the spare.
				require.Eventually(b, func() bool {
					require.NoError(b, l.Propose(make([]byte, raftlog.HeaderLen+300)))
					segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
					return len(segs) >= 2
				}, 10*time.Second, 10*time.Millisecond)
			}
			b.SetParallelism(4) // 8 goroutines on 2 cores
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				data := make([]byte, raftlog.HeaderLen+300)
				for pb.Next() {
					if err := l.Propose(data); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
