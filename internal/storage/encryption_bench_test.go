package storage

import (
	"context"
	"encoding/binary"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/encryption"
)

// BenchmarkEncryption compares a plaintext and an encrypted store: eight
// parallel commits of one small transaction (the commit log's sealing
// and Badger's encryption of its memtable log and value log), and point
// reads of 10,000 keys flushed to tables (Badger decrypts a block on a
// block cache miss). BENCH_NOSYNC=1 leaves out the fsyncs, which hide
// the CPU cost on a slow disk.
func BenchmarkEncryption(b *testing.B) {
	key, err := encryption.ParseKey(strings.Repeat("5a", 32))
	require.NoError(b, err)
	for _, enc := range []bool{false, true} {
		name := "plain"
		if enc {
			name = "encrypted"
		}
		open := func(b *testing.B) *Store {
			opts := DefaultOptions()
			opts.SyncWrites = os.Getenv("BENCH_NOSYNC") == ""
			if enc {
				opts.EncryptionKey = key
			}
			s, err := Open(b.TempDir(), opts, nil)
			require.NoError(b, err)
			b.Cleanup(func() { _ = s.Close() })
			return s
		}
		val := make([]byte, 100)
		b.Run("commit/"+name, func(b *testing.B) {
			s := open(b)
			var n atomic.Uint64
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					txn := s.Begin()
					k := binary.BigEndian.AppendUint64([]byte("k"), n.Add(1))
					if err := txn.Set(k, val); err != nil {
						b.Error(err)
					}
					if err := txn.Commit(context.Background()); err != nil {
						b.Error(err)
					}
				}
			})
		})
		b.Run("get/"+name, func(b *testing.B) {
			s := open(b)
			const keys = 10_000
			ws := &WriteSet{}
			for i := range keys {
				ws.Mutations = append(ws.Mutations, Mutation{Key: binary.BigEndian.AppendUint64([]byte("k"), uint64(i)), Value: val})
			}
			require.NoError(b, s.DirectCommit(context.Background(), ws))
			require.NoError(b, s.db.Flatten(1))
			require.NoError(b, s.Compact())
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				txn := s.Begin()
				_, ok, err := txn.Get(binary.BigEndian.AppendUint64([]byte("k"), uint64(i*7919%keys)))
				if err != nil || !ok {
					b.Fatal(ok, err)
				}
				txn.Discard()
			}
		})
	}
}
