package logging_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/exporter/config"
	"github.com/guocedb/guocedb/internal/exporter/logging"
)

func TestFileLogging(t *testing.T) {
	tests := []struct {
		format, level string
		want          string
		wantErr       bool
	}{
		{"json", "info", `"msg":"hello"`, false},
		{"text", "debug", "msg=hello", false},
		{"text", "loud", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.format+"/"+tc.level, func(t *testing.T) {
			cfg := config.Default()
			cfg.LogFormat, cfg.LogLevel = tc.format, tc.level
			cfg.LogFile = filepath.Join(t.TempDir(), "exporter.log")
			logger, closer, err := logging.New(&cfg)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			logger.Info("hello", "datasource", "a")
			require.NoError(t, closer.Close())
			b, err := os.ReadFile(cfg.LogFile)
			require.NoError(t, err)
			require.Contains(t, string(b), tc.want)
			require.Contains(t, string(b), "datasource")
		})
	}
}
