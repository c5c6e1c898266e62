package digest

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSummaryAggregates(t *testing.T) {
	s := NewSummary(0)
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for i := range 100 {
		s.Record(Statement{Schema: "shop", Text: fmt.Sprintf("SELECT * FROM items WHERE id = %d", i),
			Start: t0.Add(time.Duration(i) * time.Second), Duration: time.Duration(i+1) * time.Millisecond,
			RowsExamined: 1, RowsSent: 1})
	}
	s.Record(Statement{Schema: "shop", Text: "DELETE FROM items WHERE id = 'x'", Start: t0, Duration: time.Second, Failed: true, RowsAffected: 3})
	s.Record(Statement{Schema: "", Text: "SELECT * FROM items WHERE id = 1", Start: t0, Duration: time.Millisecond})

	snap := s.Snapshot()
	require.Len(t, snap, 3)
	sel := snap[0]
	require.Equal(t, "SELECT * FROM `items` WHERE `id` = ?", sel.Text)
	require.Equal(t, "shop", sel.Schema)
	require.Equal(t, Sum(sel.Text), sel.Digest)
	require.Equal(t, uint64(100), sel.Count)
	require.Equal(t, 5050*time.Millisecond, sel.Total)
	require.Equal(t, time.Millisecond, sel.Min)
	require.Equal(t, 100*time.Millisecond, sel.Max)
	require.Equal(t, uint64(100), sel.RowsExamined)
	require.Equal(t, t0, sel.FirstSeen)
	require.Equal(t, t0.Add(99*time.Second), sel.LastSeen)
	// The 95th of 1..100 ms is 95 ms; buckets are 25% wide.
	require.GreaterOrEqual(t, sel.P95, 95*time.Millisecond)
	require.LessOrEqual(t, sel.P95, 119*time.Millisecond)
	require.LessOrEqual(t, sel.P99, sel.Max)

	del := snap[1]
	require.Equal(t, "DELETE FROM `items` WHERE `id` = ?", del.Text)
	require.Equal(t, uint64(1), del.Errors)
	require.Equal(t, uint64(3), del.RowsAffected)
	require.Equal(t, time.Second, del.P95)
	require.Equal(t, "", snap[2].Schema)
}

func TestSummaryOverflowRow(t *testing.T) {
	s := NewSummary(2)
	for i := range 5 {
		s.Record(Statement{Text: fmt.Sprintf("SELECT c%d FROM t", i), Duration: time.Millisecond})
	}
	snap := s.Snapshot()
	require.Len(t, snap, 3)
	var overflow Stats
	for _, st := range snap {
		if st.Digest == "" {
			overflow = st
		}
	}
	require.Equal(t, uint64(3), overflow.Count)
	require.Equal(t, "", overflow.Text)
	s.Reset()
	require.Empty(t, s.Snapshot())
}

func TestSummaryConcurrent(t *testing.T) {
	s := NewSummary(0)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				s.Record(Statement{Text: fmt.Sprintf("SELECT %d, %d", g, i), Duration: time.Microsecond})
			}
		})
	}
	wg.Wait()
	snap := s.Snapshot()
	require.Len(t, snap, 1)
	require.Equal(t, uint64(800), snap[0].Count)
	var nilSummary *Summary
	nilSummary.Record(Statement{Text: "SELECT 1"})
	require.Nil(t, nilSummary.Snapshot())
}

// TestSummaryTextCacheBounded: distinct texts beyond the cache's bound
// are still summed right (the cache empties itself).
func TestSummaryTextCacheBounded(t *testing.T) {
	s := NewSummary(0)
	for i := range 3 * maxCachedTexts {
		s.Record(Statement{Text: fmt.Sprintf("SELECT %d FROM t", i), Duration: time.Microsecond})
	}
	s.mu.Lock()
	require.LessOrEqual(t, len(s.texts), maxCachedTexts)
	s.mu.Unlock()
	snap := s.Snapshot()
	require.Len(t, snap, 1)
	require.Equal(t, uint64(3*maxCachedTexts), snap[0].Count)
}

// BenchmarkRecordDistinct measures a statement whose text is new each
// time (literals inlined), which is normalized.
func BenchmarkRecordDistinct(b *testing.B) {
	s := NewSummary(0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Record(Statement{Schema: "sbtest", Text: "SELECT c FROM sbtest1 WHERE id=" + strconv.Itoa(i), Duration: time.Millisecond})
	}
}

// BenchmarkRecord measures a repeated text (a prepared statement).
func BenchmarkRecord(b *testing.B) {
	s := NewSummary(0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Record(Statement{Schema: "sbtest", Text: "SELECT c FROM sbtest1 WHERE id=4711", Duration: time.Millisecond})
	}
}

// TestSummaryShape: statements recorded with one shape are normalized
// once and share the first one's digest; the shape's cache entry is
// apart from the texts'.
func TestSummaryShape(t *testing.T) {
	s := NewSummary(0)
	for i := range 50 {
		s.Record(Statement{Schema: "shop", Text: fmt.Sprintf("INSERT INTO t VALUES (%d, 'v%d')", i, i),
			Shape: "insert_shape", Duration: time.Millisecond})
	}
	s.Record(Statement{Schema: "shop", Text: "insert_shape", Duration: time.Millisecond})
	rows := s.Snapshot()
	require.Len(t, rows, 2)
	byText := map[string]Stats{}
	for _, r := range rows {
		byText[r.Text] = r
	}
	ins := byText["INSERT INTO `t` VALUES (...)"]
	require.Equal(t, uint64(50), ins.Count)
	require.Equal(t, Sum(ins.Text), ins.Digest)
	require.Equal(t, uint64(1), byText["`insert_shape`"].Count, "a text equal to a shape is its own statement")
	require.Len(t, s.texts, 2)
}
