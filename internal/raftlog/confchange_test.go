package raftlog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/guocedb/guocedb/internal/raftlog"
)

// TestConfChangeCheckpointRestart: membership changes are applied and
// reported, and a checkpoint records the configuration at its index:
// after a restart raft starts from the checkpoint's configuration, not
// from the initial voters the caller passes.
func TestConfChangeCheckpointRestart(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{}
	var changes []raftlog.ConfChange
	open := func(voters []uint64) *raftlog.Log {
		l, _, err := raftlog.Open(raftlog.Options{Dir: dir, Apply: rec.apply, NoSync: true, TickInterval: 10 * time.Millisecond,
			Cluster: &raftlog.ClusterOptions{ID: 1, Voters: voters, Retain: 1, Send: func([]*pb.Message) {},
				OnConfChange: func(cc raftlog.ConfChange) { changes = append(changes, cc) }}})
		require.NoError(t, err)
		require.Eventually(t, func() bool { return l.Status().Writable }, 10*time.Second, 5*time.Millisecond, "a group of one elects itself")
		return l
	}
	l := open([]uint64{1})
	ctx := context.Background()
	for i := range 5 {
		require.NoError(t, l.Propose(proposal(fmt.Sprintf("a%d", i))))
	}
	require.NoError(t, l.ChangeMembership(ctx, raftlog.AddLearner, 7, []byte("seven")))
	st := l.Status()
	require.Equal(t, []uint64{1}, st.Voters)
	require.Equal(t, []uint64{7}, st.Learners)
	require.NoError(t, l.ChangeMembership(ctx, raftlog.RemoveMember, 7, nil))
	require.Empty(t, l.Status().Learners)
	require.Len(t, changes, 2)
	require.Equal(t, raftlog.AddLearner, changes[0].Type)
	require.Equal(t, uint64(7), changes[0].ID)
	require.Equal(t, "seven", string(changes[0].Context))
	require.Equal(t, raftlog.RemoveMember, changes[1].Type)
	for i := range 5 {
		require.NoError(t, l.Propose(proposal(fmt.Sprintf("b%d", i))))
	}
	require.NoError(t, l.Checkpoint(l.Applied()))
	require.Greater(t, l.CheckpointIndex(), changes[1].Index)
	require.NoError(t, l.Close())

	// Reopened with other initial voters: the checkpoint's configuration
	// (voter 1 alone) wins, so the member still elects itself.
	changes = nil
	l = open([]uint64{1, 2, 3})
	require.Equal(t, []uint64{1}, l.Status().Voters)
	require.Empty(t, changes, "changes below the checkpoint are not replayed")
	require.NoError(t, l.Close())
}

// TestRetainedEntriesNotReplayed: a cluster member keeps Retain entries
// for its peers below what its state durably holds; a checkpoint
// records how far the state goes (Checkpoint.Applied), so a restart
// applies only the entries after it while the log still holds the
// retained ones; membership changes among them still reach raft.
func TestRetainedEntriesNotReplayed(t *testing.T) {
	dir := t.TempDir()
	var rec *recorder
	open := func() (*raftlog.Log, *raftlog.Recovery) {
		rec = &recorder{}
		l, r, err := raftlog.Open(raftlog.Options{Dir: dir, Apply: rec.apply, NoSync: true, TickInterval: 10 * time.Millisecond,
			Cluster: &raftlog.ClusterOptions{ID: 1, Voters: []uint64{1}, Retain: 1000, Send: func([]*pb.Message) {}}})
		require.NoError(t, err)
		require.Eventually(t, func() bool { return l.Status().Writable }, 10*time.Second, 5*time.Millisecond, "a group of one elects itself")
		return l, r
	}
	l, _ := open()
	for i := range 20 {
		require.NoError(t, l.Propose(proposal(fmt.Sprintf("a%d", i))))
	}
	require.NoError(t, l.ChangeMembership(context.Background(), raftlog.AddLearner, 7, nil))
	for i := range 5 {
		require.NoError(t, l.Propose(proposal(fmt.Sprintf("b%d", i))))
	}
	held := l.Applied()
	require.NoError(t, l.Checkpoint(held))
	require.Equal(t, uint64(0), l.CheckpointIndex(), "fewer entries than Retain: the log keeps them all")
	require.Equal(t, held, l.CheckpointApplied())
	require.NoError(t, l.Propose(proposal("c0")))
	require.NoError(t, l.Close())

	l, r := open()
	require.Equal(t, 1, r.Replayed, "only the entry after the checkpoint's applied index is applied again")
	got := rec.snapshot()
	require.Len(t, got, 1)
	require.Equal(t, "c0", string(got[0].Data))
	require.Equal(t, []uint64{7}, l.Status().Learners, "a membership change among the retained entries reached raft")
	require.NoError(t, l.Close())
	info, err := raftlog.Inspect(nil, dir, nil)
	require.NoError(t, err)
	require.Len(t, info.Entries, 26, "the retained entries are still in the log for the peers")
	require.Equal(t, held, info.Checkpoint.Applied)
}
