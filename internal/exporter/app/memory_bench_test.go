package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/exporter/app"
	"github.com/guocedb/guocedb/internal/exporter/config"
	"github.com/guocedb/guocedb/internal/exporter/testutil"
)

// BenchmarkMemoryPerDatasource measures the retained heap of a Runtime with
// 1, 10 and 50 datasources (all on one MariaDB), after one full scrape so
// that pools, descriptor caches and cached groups are filled. It reports
// bytes per datasource; linear growth shows as a flat B/datasource.
func BenchmarkMemoryPerDatasource(b *testing.B) {
	m := testutil.StartMariaDB(b)
	spec := m.CreateUser(b, "bench", "bench", "pw", "bench")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, n := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("sources=%d", n), func(b *testing.B) {
			var doc strings.Builder
			doc.WriteString("maxOpenConns = 1\nmaxIdleConns = 1\n")
			for i := range n {
				s := spec
				s.Name = fmt.Sprintf("s%03d", i)
				doc.WriteString(testutil.SourceTOML(s))
			}
			path := testutil.WriteFile(b, b.TempDir(), "exporter.toml", doc.String())
			cfg, err := config.Load(path)
			require.NoError(b, err)

			var total float64
			for range b.N {
				before := heap()
				rt, err := app.Build(cfg, logger)
				require.NoError(b, err)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				g, release, err := rt.Gatherer(ctx)
				require.NoError(b, err)
				fams, err := g.Gather()
				require.NoError(b, err)
				require.NotEmpty(b, fams)
				release()
				cancel()
				after := heap()
				total += float64(after - before)
				runtime.KeepAlive(rt)
				require.NoError(b, rt.Close())
			}
			perSource := total / float64(b.N) / float64(n)
			b.ReportMetric(perSource, "B/datasource")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func heap() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
