package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/raftlog"
)

// startMember opens a member on dir with st, wired as the server wires
// it: membership changes mirrored in the state file and the transport,
// learners promoted by the leader.
func startMember(t *testing.T, dir string, st *State) (*member, *Membership) {
	t.Helper()
	tr, err := NewTransport(st, "", nil, nil)
	require.NoError(t, err)
	ms := NewMembership(dir, st, tr, nil)
	m := &member{tr: tr}
	ctx, cancel := context.WithCancel(context.Background())
	lg, _, err := raftlog.Open(raftlog.Options{
		Dir:          filepath.Join(dir, "raftlog"),
		NoSync:       true,
		TickInterval: 20 * time.Millisecond,
		Apply: func(ents []raftlog.Entry) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, e := range ents {
				m.got = append(m.got, string(e.Data))
			}
			return nil
		},
		Cluster: &raftlog.ClusterOptions{ID: st.Self().RaftID, Voters: st.BootVoters(), Send: tr.Send, OnConfChange: ms.Apply,
			Attach: func(l *raftlog.Log) { tr.SetReceiver(l); ms.SetLog(l) }},
	})
	require.NoError(t, err)
	m.log = lg
	go ms.PromoteLoop(ctx)
	t.Cleanup(func() {
		cancel()
		require.NoError(t, lg.Close())
		require.NoError(t, tr.Close())
	})
	return m, ms
}

// TestMembershipAddPromoteRemove: a fourth node added on the leader
// catches up from the log as a learner, is promoted to voter, and a
// removed voter leaves every member's configuration and state file;
// refusals name their reason.
func TestMembershipAddPromoteRemove(t *testing.T) {
	var spec []string
	for i := range 3 {
		spec = append(spec, fmt.Sprintf("n%d=%s", i+1, freeAddr(t)))
	}
	var ms []*member
	var mships []*Membership
	var dirs []string
	for i := range 3 {
		cfg := config.Default()
		cfg.NodeID, cfg.InitialCluster = fmt.Sprintf("n%d", i+1), strings.Join(spec, ",")
		cfg.RaftAddr = strings.SplitN(spec[i], "=", 2)[1]
		dir := t.TempDir()
		st, err := Prepare(dir, cfg, false, nil)
		require.NoError(t, err)
		m, mship := startMember(t, dir, st)
		ms, mships, dirs = append(ms, m), append(mships, mship), append(dirs, dir)
	}
	li := waitLeader(t, ms, -1)
	for i := range 30 {
		require.NoError(t, propose(ms[li].log, fmt.Sprintf("w%d", i)))
	}
	ctx := context.Background()
	follower := (li + 1) % 3
	var nl *NotLeaderError
	_, err := mships[follower].Add(ctx, "n4", freeAddr(t))
	require.ErrorAs(t, err, &nl)
	require.Equal(t, fmt.Sprintf("n%d", li+1), nl.Leader)
	_, err = mships[li].Add(ctx, "n 4", "127.0.0.1:1")
	require.ErrorIs(t, err, ErrInvalidMember)
	_, err = mships[li].Add(ctx, "n4", strings.SplitN(spec[0], "=", 2)[1])
	require.ErrorIs(t, err, ErrInvalidMember)
	require.ErrorIs(t, mships[li].Remove(ctx, "n9"), ErrUnknownMember)

	addr4 := freeAddr(t)
	st, err := mships[li].Add(ctx, "n4", addr4)
	require.NoError(t, err)
	again, err := mships[li].Add(ctx, "n4", addr4)
	require.NoError(t, err, "adding the same member again")
	require.Equal(t, st.Members, again.Members)
	joined := st.clone()
	joined.NodeID = "n4"
	require.Equal(t, uint64(4), joined.Self().RaftID)
	require.True(t, joined.Self().Learner)
	require.ErrorIs(t, mships[li].TransferLeader(ctx, "n4"), ErrRefused)
	dir4 := t.TempDir()
	m4, mship4 := startMember(t, dir4, joined)
	ms = append(ms, m4)
	mships = append(mships, mship4)
	want := ms[li].applied()
	require.Eventually(t, func() bool { return slices.Equal(m4.applied(), want) }, 20*time.Second, 20*time.Millisecond, "the joiner's log")
	require.Eventually(t, func() bool {
		return slices.Equal(ms[li].log.Status().Voters, []uint64{1, 2, 3, 4})
	}, 20*time.Second, 20*time.Millisecond, "n4 promoted to voter")
	require.Eventually(t, func() bool {
		s, ok := mship4.State().ByNodeID("n4")
		return ok && !s.Learner
	}, 10*time.Second, 20*time.Millisecond, "the joiner's own state")

	// Remove a follower other than n4: every member's configuration and
	// state file drop it.
	gone := (li + 2) % 3
	require.NoError(t, mships[li].Remove(ctx, fmt.Sprintf("n%d", gone+1)))
	for i, m := range ms {
		if i == gone {
			continue
		}
		require.Eventually(t, func() bool { return len(m.log.Status().Voters) == 3 }, 10*time.Second, 20*time.Millisecond, "member %d's voters", i)
		require.Eventually(t, func() bool {
			_, ok := mships[i].State().ByNodeID(fmt.Sprintf("n%d", gone+1))
			return !ok
		}, 10*time.Second, 20*time.Millisecond)
	}
	reread, err := Prepare(dirs[li], config.Config{RaftAddr: strings.SplitN(spec[li], "=", 2)[1]}, true, nil)
	require.NoError(t, err)
	require.Len(t, reread.Members, 3)
	require.NoError(t, propose(ms[li].log, "after remove"))

	// Leadership to n4, then the old leader cannot change membership.
	require.NoError(t, mships[li].TransferLeader(ctx, "n4"))
	require.Eventually(t, func() bool { return m4.log.Status().Writable }, 10*time.Second, 20*time.Millisecond)
	_, err = mships[li].Add(ctx, "n5", freeAddr(t))
	require.ErrorAs(t, err, &nl)
	require.Equal(t, "n4", nl.Leader)
}

// TestMembershipRefusesRemovingTheLastVoter: a group of one cannot lose
// its only voter.
func TestMembershipRefusesRemovingTheLastVoter(t *testing.T) {
	addr := freeAddr(t)
	cfg := config.Default()
	cfg.NodeID, cfg.RaftAddr, cfg.InitialCluster = "solo", addr, "solo="+addr
	dir := t.TempDir()
	st, err := Prepare(dir, cfg, false, nil)
	require.NoError(t, err)
	m, mship := startMember(t, dir, st)
	require.Eventually(t, func() bool { return m.log.Status().Writable }, 20*time.Second, 10*time.Millisecond)
	err = mship.Remove(context.Background(), "solo")
	require.ErrorIs(t, err, ErrRefused)
	require.ErrorContains(t, err, "last voter")
	require.Equal(t, []uint64{1}, m.log.Status().Voters)
}
