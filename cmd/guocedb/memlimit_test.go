package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/testutil"
)

// TestMemoryLimit starts the server with each memory-limit source and
// reads the limit in force from its start log.
func TestMemoryLimit(t *testing.T) {
	bin := testutil.BuildBinary(t)
	tests := []struct {
		name       string
		gomemlimit string
		args       []string
		want       string
	}{
		{"auto", "", nil, fmt.Sprintf("bytes=%d source=auto", config.Default().AutoMemoryLimit())},
		{"auto leaves GOMEMLIMIT", "300MiB", nil, fmt.Sprintf("bytes=%d source=GOMEMLIMIT", 300<<20)},
		{"explicit wins over GOMEMLIMIT", "300MiB", []string{"--memory-limit", "512MB"}, fmt.Sprintf("bytes=%d source=memory-limit", 512<<20)},
		{"off", "", []string{"--memory-limit", "off"}, `msg="no memory limit" source=memory-limit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tt.gomemlimit) // the child inherits it
			p := testutil.StartProcess(t, bin, t.TempDir(), tt.args...)
			p.Stop()
			require.Contains(t, p.Output(), tt.want)
		})
	}
}
