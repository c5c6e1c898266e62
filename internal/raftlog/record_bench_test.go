package raftlog

import (
	"fmt"
	"strings"
	"testing"

	"github.com/guocedb/guocedb/internal/encryption"
)

// BenchmarkEncodeEntry measures the record encoding of one entry in the
// clear and sealed: the CPU cost encryption adds to every commit,
// without the raft loop and the file write that BenchmarkPropose also
// measures (and that a shared machine makes noisy).
func BenchmarkEncodeEntry(b *testing.B) {
	key, err := encryption.ParseKey(strings.Repeat("5a", 32))
	if err != nil {
		b.Fatal(err)
	}
	s, err := encryption.NewSealer(key, "raftlog v1")
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{256, 4096, 64 << 10} {
		for _, sealer := range []Sealer{nil, s} {
			name := fmt.Sprintf("size=%d/plain", size)
			if sealer != nil {
				name = fmt.Sprintf("size=%d/sealed", size)
			}
			b.Run(name, func(b *testing.B) {
				data := make([]byte, size)
				buf := make([]byte, 0, size+256)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for range b.N {
					buf = encodeEntry(buf[:0], sealer, 1, 1, 0, data)
				}
			})
		}
	}
}
