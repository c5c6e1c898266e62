package slowlog

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRecordWritesMaskedJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "slow.log")
	l, err := Open(Options{Threshold: 0, Path: path, RingSize: 4})
	require.NoError(t, err)
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, l.Record(Entry{Time: start, Query: "CREATE USER u IDENTIFIED BY 'pw'", DurationSeconds: 1.5,
		RowsExamined: 7, RowsSent: 2, User: "root", Host: "localhost", Database: "db", ConnID: 9}))
	require.NoError(t, l.Record(Entry{Time: start, Query: "SELECT 2", ErrorCode: 1146}))
	require.NoError(t, l.Close())

	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	lines := readLines(t, path)
	require.Len(t, lines, 2)
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.Equal(t, map[string]any{
		"time": "2026-01-02T03:04:05Z", "query": "CREATE USER u IDENTIFIED BY '***'", "duration_seconds": 1.5,
		"rows_examined": float64(7), "rows_sent": float64(2), "user": "root", "host": "localhost", "db": "db", "conn_id": float64(9),
	}, first)
	require.Contains(t, lines[1], `"error_code":1146`)
	require.NotContains(t, lines[0]+lines[1], "pw'")

	// Reopening appends.
	l, err = Open(Options{Threshold: 0, Path: path})
	require.NoError(t, err)
	require.NoError(t, l.Record(Entry{Query: "SELECT 3"}))
	require.NoError(t, l.Close())
	require.Len(t, readLines(t, path), 3)
}

func TestRecentRing(t *testing.T) {
	l, err := Open(Options{Threshold: time.Second, RingSize: 3})
	require.NoError(t, err)
	require.Empty(t, l.Recent(5))
	for i := range 5 {
		require.NoError(t, l.Record(Entry{Query: "SELECT " + strconv.Itoa(i)}))
	}
	queries := func(es []Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Query)
		}
		return out
	}
	require.Equal(t, []string{"SELECT 2", "SELECT 3", "SELECT 4"}, queries(l.Recent(10)))
	require.Equal(t, []string{"SELECT 3", "SELECT 4"}, queries(l.Recent(2)))
	require.Empty(t, l.Recent(0))
	require.Empty(t, l.Recent(-1))
}

func TestThreshold(t *testing.T) {
	l, err := Open(Options{Threshold: 100 * time.Millisecond})
	require.NoError(t, err)
	require.True(t, l.Enabled())
	require.False(t, l.Slow(99*time.Millisecond))
	require.True(t, l.Slow(100*time.Millisecond))

	every, err := Open(Options{Threshold: 0})
	require.NoError(t, err)
	require.True(t, every.Slow(0))

	path := filepath.Join(t.TempDir(), "never.log")
	off, err := Open(Options{Threshold: -1, Path: path})
	require.NoError(t, err)
	require.False(t, off.Enabled())
	require.False(t, off.Slow(time.Hour))
	require.NoError(t, off.Record(Entry{Query: "x"}))
	require.Empty(t, off.Recent(1))
	require.NoError(t, off.Close())
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "a disabled log creates no file")

	var nilLog *Log
	require.False(t, nilLog.Slow(time.Hour))
	require.Nil(t, nilLog.Recent(1))
	require.NoError(t, nilLog.Close())
}

func TestOpenFailsReadably(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err := Open(Options{Path: filepath.Join(file, "slow.log")})
	require.ErrorContains(t, err, "slow query log")
}

// TestConcurrentRecord checks that lines from concurrent writers never
// interleave (run with -race).
func TestConcurrentRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slow.log")
	l, err := Open(Options{Path: path, RingSize: 8})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				_ = l.Record(Entry{Query: "SELECT " + strconv.Itoa(w*100+i)})
			}
		}()
	}
	wg.Wait()
	require.NoError(t, l.Close())
	lines := readLines(t, path)
	require.Len(t, lines, 200)
	for _, line := range lines {
		var e Entry
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
	}
	require.Len(t, l.Recent(100), 8)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.NoError(t, sc.Err())
	return lines
}
