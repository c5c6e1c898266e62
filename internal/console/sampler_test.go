package console

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/metrics"
)

// TestSamplerOverview: rates and percentiles come from the deltas of the
// server's own counters between samples.
func TestSamplerOverview(t *testing.T) {
	reg := metrics.NewRegistry()
	m, err := metrics.NewSQL(reg)
	require.NoError(t, err)
	s := NewSampler(reg, 10*time.Second, time.Hour)

	first, err := s.take()
	require.NoError(t, err)
	first.at = time.Now().Add(-20 * time.Second)
	s.add(first)
	m.ConnectionOpened()
	for i := range 100 {
		m.StatementStarted()
		d := time.Millisecond // 90 statements of 1ms, 10 of 2s
		if i >= 90 {
			d = 2 * time.Second
		}
		st := metrics.Statement{Duration: d}
		if i == 0 {
			st.ErrorCode = 1146
		}
		m.StatementFinished(st)
	}
	second, err := s.take()
	require.NoError(t, err)
	second.at = time.Now().Add(-10 * time.Second)
	s.add(second)

	live, points, err := s.Overview()
	require.NoError(t, err)
	require.InDelta(t, 20, live.WindowSeconds, 1)
	require.InDelta(t, 100.0/20, live.QPS, 0.5)
	require.InDelta(t, 1.0/20, live.ErrorsPerS, 0.01)
	require.NotNil(t, live.P50Millis)
	require.Less(t, *live.P50Millis, 2.0, "p50 in the 1ms bucket")
	require.Greater(t, *live.P99Millis, 1000.0, "p99 in the 2s bucket")
	require.Len(t, points, 2, "one interval between samples, one live point")
	require.InDelta(t, 10, points[0].QPS, 1)
	require.Equal(t, float64(1), points[0].Connections)
	require.Nil(t, points[1].P99Millis, "nothing finished since the last sample")
	require.Zero(t, points[1].QPS)
}

func TestSamplerRingWraps(t *testing.T) {
	reg := metrics.NewRegistry()
	s := NewSampler(reg, time.Second, 3*time.Second)
	for i := range 5 {
		s.add(sample{at: time.Unix(int64(i), 0)})
	}
	got := s.samples()
	require.Len(t, got, 3)
	require.Equal(t, int64(2), got[0].at.Unix())
	require.Equal(t, int64(4), got[2].at.Unix())
}
