package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/storage"
	"github.com/guocedb/guocedb/internal/testutil"
)

// TestReplayBeforeReady is issue 9's acceptance 3 over the wire: a data
// directory whose commit log holds 100,000 committed entries Badger never
// received (as a crash can leave it) is replayed at start, and until the
// replay has ended /readyz answers 503 and the MySQL port is closed.
// The replayed rows are then there. The test reports the seconds from
// start to ready.
func TestReplayBeforeReady(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	bin := testutil.BuildBinary(t)
	dataDir := t.TempDir()
	p := testutil.StartProcess(t, bin, dataDir)
	db := testutil.Connect(t, p.MySQLAddr)
	_, err := db.Exec("CREATE DATABASE rp; CREATE TABLE rp.t (id BIGINT PRIMARY KEY, v VARCHAR(20) NOT NULL)")
	require.NoError(t, err)
	_, err = db.Exec("INSERT INTO rp.t VALUES (1, 'model')")
	require.NoError(t, err)
	require.NoError(t, db.Close())
	p.Stop()

	// Copies of the model row under other ids: the row key is the table
	// prefix, then the encoded id (the value still says id 1, which the
	// filtered count below does not read). The tail writes rows without
	// count deltas, so the count is taken by a scan.
	rowKey, rowVal := modelRow(t, dataDir)
	sets := make([]*storage.WriteSet, n)
	for i := range sets {
		k := append(bytes.Clone(rowKey[:len(rowKey)-8]), encodeID(int64(i+2))...)
		sets[i] = &storage.WriteSet{Mutations: []storage.Mutation{{Key: k, Value: rowVal}}}
	}
	first := highestVersion(t, dataDir) + 1
	require.NoError(t, storage.AppendUnapplied(dataDir, nil, first, sets))

	mysqlAddr, httpAddr := testutil.FreeAddr(t), testutil.FreeAddr(t)
	var out syncedOutput
	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--mysql-addr", mysqlAddr,
		"--http-addr", httpAddr, "--admin-addr", testutil.FreeAddr(t), "--shutdown-timeout", "10s")
	cmd.Env = testutil.CleanEnv()
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	// The log line is written before the MySQL module starts, but reaches
	// this process through a pipe: give it a moment.
	replayEnded := func() bool {
		for range 100 {
			if strings.Contains(out.String(), "commit log replayed") {
				return true
			}
			time.Sleep(10 * time.Millisecond)
		}
		return false
	}
	client := &http.Client{Timeout: time.Second}
	saw503 := false
	deadline := time.Now().Add(2 * time.Minute)
	for {
		require.True(t, time.Now().Before(deadline), "not ready within 2 minutes:\n%s", out.String())
		select {
		case err := <-exited:
			t.Fatalf("guocedb exited: %v\n%s", err, out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", mysqlAddr, 200*time.Millisecond); err == nil {
			_ = c.Close()
			require.True(t, replayEnded(), "MySQL port open before the commit log replay ended:\n%s", out.String())
		}
		status := 0
		if resp, err := client.Get("http://" + httpAddr + "/readyz"); err == nil {
			status = resp.StatusCode
			_ = resp.Body.Close()
		}
		if status == http.StatusOK {
			require.True(t, replayEnded(), "/readyz 200 before the commit log replay ended")
			break
		}
		if status == http.StatusServiceUnavailable && !strings.Contains(out.String(), "commit log replayed") {
			saw503 = true
		}
		time.Sleep(20 * time.Millisecond)
	}
	ready := time.Since(start)
	require.True(t, saw503, "/readyz never answered 503 during the replay:\n%s", out.String())
	require.Contains(t, out.String(), fmt.Sprintf("entries=%d", n))
	t.Logf("start with %d unapplied entries: ready after %.2fs", n, ready.Seconds())

	db = testutil.Connect(t, mysqlAddr)
	var cnt int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM rp.t WHERE v = 'model'").Scan(&cnt))
	require.Equal(t, n+1, cnt, "every replayed row is there")
}

// modelRow opens the stopped directory and returns the key and value of
// the only row of rp.t.
func modelRow(t *testing.T, dataDir string) (key, val []byte) {
	t.Helper()
	s, err := storage.OpenReadOnly(dataDir, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	txn := s.Begin()
	defer txn.Discard()
	want := encodeID(1)
	it, err := txn.NewIterator(storage.IterOptions{Start: []byte("t")})
	require.NoError(t, err)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		k := it.Key()
		if len(k) == 1+8+1+1+8 && k[9] == 'r' && k[10] == 0x18 && bytes.HasSuffix(k, want) {
			return bytes.Clone(k), bytes.Clone(it.Value())
		}
	}
	t.Fatal("row of rp.t not found")
	return nil, nil
}

// encodeID is the key encoding of a BIGINT after its tag byte 0x18
// (big-endian, sign bit flipped; docs/key-encoding.md).
func encodeID(v int64) []byte {
	u := uint64(v) ^ (1 << 63)
	return []byte{byte(u >> 56), byte(u >> 48), byte(u >> 40), byte(u >> 32), byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)}
}

func highestVersion(t *testing.T, dataDir string) uint64 {
	t.Helper()
	s, err := storage.OpenReadOnly(dataDir, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	return s.HighestVersion()
}

// syncedOutput collects a process's output for concurrent readers.
type syncedOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *syncedOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *syncedOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}
