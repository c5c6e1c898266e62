package config

import (
	"fmt"

	"github.com/guocedb/guocedb/internal/storage"
)

// StorageOptions returns storage's options with this configuration's
// memory settings (memtable-size, block-cache-size) applied.
func (c Config) StorageOptions() storage.Options {
	o := storage.DefaultOptions()
	o.MemTableSize, o.BlockCacheSize = c.MemTableSize, c.BlockCacheSize
	return o
}

// AutoMemoryLimit is the memory limit memory-limit = "auto" sets: the
// most Go memory the storage layer holds under these settings
// (storage.MemoryBudget: memtables, the table being flushed, caches) plus
// DefaultQueryMemory. Without a limit the heap grows to twice what is
// live before a collection, which made memtables the size of a table
// flush cost twice their size in RSS.
func (c Config) AutoMemoryLimit() int64 {
	return storage.MemoryBudget(c.StorageOptions()) + DefaultQueryMemory
}

// validateMemory checks memtable-size, block-cache-size and
// memory-limit. An explicit limit below what the storage layer may hold
// is refused: the collector would run without pause and still not meet it.
func (c Config) validateMemory() []error {
	var errs []error
	sizesOK := true
	if c.MemTableSize < storage.MinMemTableSize || c.MemTableSize > storage.MaxMemTableSize {
		errs = append(errs, fmt.Errorf("memtable-size: %s is out of range; want 8MB to 1GB", formatSize(c.MemTableSize)))
		sizesOK = false
	}
	if c.BlockCacheSize < storage.MinBlockCacheSize {
		errs = append(errs, fmt.Errorf("block-cache-size: %s is too small; want at least 1MB (tables are compressed and read through it)",
			formatSize(c.BlockCacheSize)))
		sizesOK = false
	}
	switch {
	case c.MemoryLimit == MemoryLimitAuto || c.MemoryLimit == 0:
	case c.MemoryLimit < 0:
		errs = append(errs, fmt.Errorf("memory-limit: %d is not a size; want auto, off or a size such as 512MB", c.MemoryLimit))
	case sizesOK && c.MemoryLimit < storage.MemoryBudget(c.StorageOptions()):
		errs = append(errs, fmt.Errorf("memory-limit: %s is below the %s the storage layer may hold with memtable-size %s and block-cache-size %s; "+
			"raise it, lower those, or use auto",
			formatSize(c.MemoryLimit), formatMiB(storage.MemoryBudget(c.StorageOptions())), formatSize(c.MemTableSize), formatSize(c.BlockCacheSize)))
	}
	return errs
}

// formatMiB prints n bytes in whole MiB, rounded up, as parseSize reads
// them.
func formatMiB(n int64) string { return fmt.Sprintf("%dMB", (n+1<<20-1)>>20) }
