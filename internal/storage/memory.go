package storage

import (
	"os"
	"path/filepath"
	"strings"
)

// MinMemTableSize and MaxMemTableSize bound Options.MemTableSize. Badger
// writes in batches of at most 15% of a memtable, and a value of up to
// 1 MiB (its value threshold) is stored in the tree, so one such entry
// must fit a batch: Badger refuses to open below about 7 MiB. Its
// skiplist addresses the arena with 32-bit offsets.
const (
	MinMemTableSize = 8 << 20
	MaxMemTableSize = 1 << 30
)

// MinBlockCacheSize is the smallest Options.BlockCacheSize: Badger
// compresses its tables, so it needs a block cache (it panics without).
const MinBlockCacheSize = 1 << 20

// memTableArena is the Go memory one memtable allocates: Badger sizes its
// skiplist arena at MemTableSize plus one largest batch (15%) plus that
// batch's nodes (about as much again), and allocates it whole.
func memTableArena(memTableSize int64) int64 { return memTableSize + memTableSize*30/100 }

// MemoryBudget is the most Go memory Badger holds under opts, in bytes:
// the active memtable and NumMemtables waiting to be flushed (each a whole
// arena), the level-0 table being built from one of them (about a
// memtable), and the full block and index caches. The server's memory
// limit is derived from it (see DESIGN.md, "Memory"); queries and
// connections come on top.
func MemoryBudget(opts Options) int64 {
	return int64(opts.NumMemtables+1)*memTableArena(opts.MemTableSize) + opts.MemTableSize +
		opts.BlockCacheSize + opts.IndexCacheSize
}

// memTableSizeFor returns the memtable size to open dir with: size, or
// more when dir holds a memtable log (*.mem) that would not fit. Badger
// replays such a log into an arena sized from the current MemTableSize
// and exits the process when it overflows; a log left by a crash under a
// larger setting (the older 64 MiB default) would. Badger creates a log
// at twice its memtable size (a power of two for every default and
// usual setting), whose records fit that memtable; it cuts a log to its
// records when it replays one (a size that is not a power of two), and
// such records fit a memtable of twice their size, since an entry takes
// less in the arena than twice its log record. The larger size lasts for
// this open only: the logs are flushed to tables and deleted, and the
// next open uses size again.
func memTableSizeFor(dir string, size int64) (int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".mem") || !e.Type().IsRegular() {
			continue
		}
		st, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			return 0, err
		}
		need := 2 * st.Size()
		if n := st.Size(); n > 0 && n&(n-1) == 0 {
			need = n / 2
		}
		size = max(size, min(need, MaxMemTableSize))
	}
	return size, nil
}
