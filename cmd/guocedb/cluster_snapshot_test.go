package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestClusterSnapshotResume is issue 12's resumable snapshot stream on
// real processes: a node joins a cluster whose log no longer starts at
// index 1, so the leader streams it a snapshot of 64 MB; the joiner is
// killed (kill -9) once its load has recorded progress (every 16 MiB),
// restarted with the same command line, opens as a member whose
// snapshot load was interrupted (not ready), asks the leader to resume
// after the last key it holds, and the leader, which kept that snapshot
// pinned, streams only the rest. Every member ends with the same
// CHECKSUM TABLE.
func TestClusterSnapshotResume(t *testing.T) {
	bin := testutil.BuildBinary(t)
	retain := []string{"--raft-log-retain", "50"}
	nodes := testutil.StartClusterArgs(t, bin, 3, retain...)
	li := testutil.FindLeader(nodes, nil, 30*time.Second)
	require.GreaterOrEqual(t, li, 0, "no leader")
	leader := testutil.Connect(t, nodes[li].P.MySQLAddr)
	_, err := leader.Exec("CREATE DATABASE cs; CREATE TABLE cs.t (id BIGINT PRIMARY KEY, v LONGTEXT NOT NULL)")
	require.NoError(t, err)
	// 16,384 rows of 4 KB in statements of 256 rows (1 MB entries).
	const rows, batch = 16384, 256
	start := time.Now()
	for i := 0; i < rows; i += batch {
		var sb strings.Builder
		sb.WriteString("INSERT INTO cs.t VALUES ")
		for j := i; j < i+batch; j++ {
			if j > i {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(%d, REPEAT('%c', 4000))", j, 'a'+j%26)
		}
		_, err := leader.Exec(sb.String())
		require.NoError(t, err)
	}
	t.Logf("loaded %d rows of 4 KB in %s", rows, time.Since(start).Round(time.Millisecond))
	// The leader's log no longer starts at index 1 once it checkpointed
	// (every 5 s) past 50 entries: a new member needs a snapshot.
	require.Eventually(t, func() bool { return metricValue(nodes[li].P.HTTPAddr, "guocedb_commitlog_checkpoint_index") > 0 },
		30*time.Second, 200*time.Millisecond, "no checkpoint on the leader")

	dir := t.TempDir()
	args := append([]string{"--node-id", "n4", "--raft-addr", testutil.FreeAddr(t), "--join", nodes[li].P.AdminAddr}, retain...)
	joinStart := time.Now()
	n4 := testutil.StartProcessNoWait(t, bin, dir, args...)
	// Kill it once its load has recorded progress, before it ends.
	marker := filepath.Join(dir, "snapshot-loading")
	var progress struct {
		Ts   uint64 `json:"ts"`
		Keys uint64 `json:"keys"`
	}
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(marker)
		return err == nil && json.Unmarshal(b, &progress) == nil && progress.Keys > 0
	}, 60*time.Second, 2*time.Millisecond, "the joiner recorded no snapshot progress; output:\n%s", n4.Output())
	n4.Kill9()
	t.Logf("killed the joiner %s after its start, with %d keys of the snapshot at ts %d recorded", time.Since(joinStart).Round(time.Millisecond), progress.Keys, progress.Ts)
	b, err := os.ReadFile(marker)
	require.NoError(t, err, "the marker survives the crash")
	require.NoError(t, json.Unmarshal(b, &progress))
	require.Greater(t, progress.Keys, uint64(0))

	restart := time.Now()
	n4 = testutil.StartProcess(t, bin, dir, args...)
	t.Logf("the joiner was ready %s after its restart", time.Since(restart).Round(time.Millisecond))
	out := n4.Output()
	require.Contains(t, out, "a snapshot load was interrupted", "the restarted joiner found the marker")
	m := regexp.MustCompile(`resuming a snapshot stream.*keys_skipped=(\d+)`).FindStringSubmatch(out)
	require.NotNil(t, m, "the joiner resumed the stream; output:\n%s", out)
	skipped, _ := strconv.ParseUint(m[1], 10, 64)
	require.Equal(t, progress.Keys, skipped, "it skipped the keys it recorded")
	// The leader streamed the rest only: its "sent a snapshot" line (it
	// logs it once the joiner's ack arrives, which may be after the
	// joiner is ready) has fewer bytes than the table.
	sentRe := regexp.MustCompile(`sent a snapshot to a peer.*bytes=(\d+)`)
	var lout string
	var sent [][]string
	require.Eventually(t, func() bool {
		lout = nodes[li].P.Output()
		sent = sentRe.FindAllStringSubmatch(lout, -1)
		return len(sent) > 0
	}, 30*time.Second, 50*time.Millisecond, "the leader logged no completed snapshot stream")
	require.Regexp(t, `resuming a snapshot stream.*keys_skipped=`+m[1], lout, "the leader resumed the stream")
	last, _ := strconv.ParseInt(sent[len(sent)-1][1], 10, 64)
	first := "?"
	if f := regexp.MustCompile(`sending a snapshot to a peer failed.*bytes=(\d+)`).FindStringSubmatch(lout); f != nil {
		first = f[1]
	}
	t.Logf("the cut stream: %s bytes sent; the resumed stream: %d bytes, %d keys skipped", first, last, skipped)
	require.Less(t, last, int64(rows*4000))
	_, err = os.Stat(marker)
	require.ErrorIs(t, err, os.ErrNotExist, "the load completed")

	all := append(nodes, &testutil.ClusterNode{ID: "n4", P: n4})
	requireSameChecksums(t, all, "cs.t")
}
