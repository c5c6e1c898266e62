package config

import (
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/storage"
)

func TestMemoryDefaultsMatchStorage(t *testing.T) {
	// Offline commands (backup, check, restore) open with storage's
	// defaults; the server with the configuration's.
	def, st := Default().StorageOptions(), storage.DefaultOptions()
	require.Equal(t, st.MemTableSize, def.MemTableSize)
	require.Equal(t, st.BlockCacheSize, def.BlockCacheSize)
	require.Equal(t, MemoryLimitAuto, Default().MemoryLimit)
	// 3 memtable arenas of 16 MiB + 30%, one flushed table, 32 MiB block
	// and 16 MiB index cache, 64 MiB for queries.
	require.Equal(t, int64(3*(16<<20+16<<20*30/100)+16<<20+32<<20+16<<20+64<<20), Default().AutoMemoryLimit())
}

func TestValidateMemory(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr []string // substrings; empty means valid
	}{
		{"memtable 64MB", func(c *Config) { c.MemTableSize = 64 << 20 }, nil},
		{"memtable too small", func(c *Config) { c.MemTableSize = 1 << 20 }, []string{"memtable-size", "1MB", "8MB to 1GB"}},
		{"memtable too big", func(c *Config) { c.MemTableSize = 2 << 30 }, []string{"memtable-size", "2GB", "8MB to 1GB"}},
		{"block cache zero", func(c *Config) { c.BlockCacheSize = 0 }, []string{"block-cache-size", "at least 1MB"}},
		{"limit off", func(c *Config) { c.MemoryLimit = 0 }, nil},
		{"limit 1GB", func(c *Config) { c.MemoryLimit = 1 << 30 }, nil},
		{"limit below storage", func(c *Config) { c.MemoryLimit = 100 << 20 }, []string{"memory-limit", "100MB", "below the 127MB", "memtable-size 16MB"}},
		{"limit below raised sizes", func(c *Config) { c.MemoryLimit, c.BlockCacheSize = 256<<20, 256<<20 }, []string{"memory-limit", "block-cache-size 256MB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			tt.mutate(&cfg)
			err := cfg.Validate()
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				require.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestLoadMemorySettings(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    func(*Config)
		wantErr []string
	}{
		{"defaults", nil, nil, func(*Config) {}, nil},
		{"flags", []string{"--memtable-size", "64MB", "--block-cache-size", "128mb", "--memory-limit", "1GB"}, nil,
			func(c *Config) { c.MemTableSize, c.BlockCacheSize, c.MemoryLimit = 64<<20, 128<<20, 1<<30 }, nil},
		{"env", nil, map[string]string{"GUOCEDB_MEMTABLE_SIZE": "33554432", "GUOCEDB_MEMORY_LIMIT": "off"},
			func(c *Config) { c.MemTableSize, c.MemoryLimit = 32<<20, 0 }, nil},
		{"auto", []string{"--memory-limit", "AUTO"}, nil, func(*Config) {}, nil},
		{"bad limit", []string{"--memory-limit", "lots"}, nil, nil, []string{"--memory-limit", `"lots"`, "auto, off"}},
		{"negative limit", nil, map[string]string{"GUOCEDB_MEMORY_LIMIT": "-5MB"}, nil, []string{"GUOCEDB_MEMORY_LIMIT", `"-5MB"`}},
		{"bad memtable", []string{"--memtable-size", "16 MiB"}, nil, nil, []string{"--memtable-size", `"16 MiB"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			flags := RegisterFlags(fs)
			require.NoError(t, fs.Parse(tt.args))
			got, err := flags.Load(mapEnv(tt.env))
			if len(tt.wantErr) > 0 {
				require.Error(t, err)
				for _, w := range tt.wantErr {
					require.Contains(t, err.Error(), w)
				}
				return
			}
			require.NoError(t, err)
			want := Default()
			tt.want(&want)
			require.Equal(t, want, got)
		})
	}
}
