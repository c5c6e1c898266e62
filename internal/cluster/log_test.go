package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/raftlog"
)

// freeAddr is a loopback address whose port was free a moment ago
// (testutil cannot be imported here: it imports the server, which
// imports this package).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// member is one node of an in-process group: a real commit log in a
// temporary directory and a real TCP transport on loopback.
type member struct {
	log *raftlog.Log
	tr  *Transport
	mu  sync.Mutex
	got []string // applied proposals, in order
}

func (m *member) applied() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.got...)
}

func startGroup(t *testing.T, n int) []*member {
	t.Helper()
	var spec []string
	for i := range n {
		spec = append(spec, fmt.Sprintf("n%d=%s", i+1, freeAddr(t)))
	}
	ms := make([]*member, n)
	for i := range n {
		cfg := config.Default()
		cfg.NodeID, cfg.InitialCluster = fmt.Sprintf("n%d", i+1), strings.Join(spec, ",")
		cfg.RaftAddr = strings.SplitN(spec[i], "=", 2)[1]
		dir := t.TempDir()
		st, err := Prepare(dir, cfg, false, nil)
		require.NoError(t, err)
		tr, err := NewTransport(st, "", nil, nil)
		require.NoError(t, err)
		m := &member{tr: tr}
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
			Cluster: &raftlog.ClusterOptions{ID: st.Self().RaftID, Voters: st.Voters(), Send: tr.Send},
		})
		require.NoError(t, err)
		tr.SetReceiver(lg)
		m.log = lg
		ms[i] = m
		t.Cleanup(func() {
			require.NoError(t, lg.Close())
			require.NoError(t, tr.Close())
		})
	}
	return ms
}

func waitLeader(t *testing.T, ms []*member, skip int) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for i, m := range ms {
			if i != skip && m.log.Status().Writable {
				return i
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no leader elected within 20s")
	return -1
}

func propose(l *raftlog.Log, s string) error {
	return l.Propose(append(make([]byte, raftlog.HeaderLen), s...))
}

func TestGroupReplicatesAndRefusesOnFollowers(t *testing.T) {
	ms := startGroup(t, 3)
	li := waitLeader(t, ms, -1)
	for i := range 20 {
		require.NoError(t, propose(ms[li].log, fmt.Sprintf("w%d", i)))
	}
	for i, m := range ms {
		if i == li {
			continue
		}
		st := m.log.Status()
		require.Equal(t, raftlog.RoleFollower, st.Role)
		require.Equal(t, ms[li].log.Status().ID, st.Leader)
		require.ErrorIs(t, propose(m.log, "refused"), raftlog.ErrNotLeader)
	}
	want := ms[li].applied()
	require.Len(t, want, 20)
	for _, m := range ms {
		require.Eventually(t, func() bool { return strings.Join(m.applied(), ",") == strings.Join(want, ",") }, 10*time.Second, 10*time.Millisecond)
	}
	require.Len(t, ms[li].log.Status().Peers, 2)

	// Every member learns every other's MySQL address and liveness, not
	// only the leader's (raft connects followers to the leader only).
	for i, m := range ms {
		m.tr.SetLocalInfo(MemberInfo{MySQLAddr: fmt.Sprintf("127.0.0.1:%d", 3300+i), Version: "test"})
	}
	for i, m := range ms {
		require.Eventually(t, func() bool {
			ps := m.tr.Peers()
			if len(ps) != 2 {
				return false
			}
			for id, p := range ps {
				if p.MySQLAddr != fmt.Sprintf("127.0.0.1:%d", 3300+int(id)-1) || time.Since(p.LastSeen) > 3*time.Second {
					return false
				}
			}
			return true
		}, 10*time.Second, 20*time.Millisecond, "member %d's view of its peers: %v", i, m.tr.Peers())
	}
}

func TestGroupElectsAnotherLeaderWhenTheLeaderStops(t *testing.T) {
	ms := startGroup(t, 3)
	li := waitLeader(t, ms, -1)
	require.NoError(t, propose(ms[li].log, "before"))
	// Cut the leader off: its transport stops, so it neither sends nor
	// receives; the others elect a new leader.
	require.NoError(t, ms[li].tr.Close())
	// A commit proposed now cannot be committed by it, and the next
	// leader may or may not hold it: once the cut-off leader steps down
	// (CheckQuorum) the answer is "unknown", never OK or a definite error.
	inFlight := make(chan error, 1)
	go func() { inFlight <- propose(ms[li].log, "in flight") }()
	next := waitLeader(t, ms, li)
	require.NotEqual(t, li, next)
	require.NoError(t, propose(ms[next].log, "after"))
	require.Contains(t, ms[next].applied(), "before")
	// The old leader, alone, steps down (CheckQuorum) and refuses.
	require.Eventually(t, func() bool { return !ms[li].log.Status().Writable }, 10*time.Second, 10*time.Millisecond)
	select {
	case err := <-inFlight:
		require.ErrorIs(t, err, raftlog.ErrUnknownOutcome)
	case <-time.After(10 * time.Second):
		t.Fatal("the cut-off leader's in-flight proposal got no answer")
	}
	require.NotContains(t, ms[next].applied(), "in flight")
	err := propose(ms[li].log, "lost")
	require.True(t, errors.Is(err, raftlog.ErrNotLeader) || errors.Is(err, raftlog.ErrUnknownOutcome), "got %v", err)
}

func TestGroupTransfersLeadership(t *testing.T) {
	ms := startGroup(t, 3)
	li := waitLeader(t, ms, -1)
	// Peers are seen active after a round of heartbeats.
	require.Eventually(t, func() bool {
		ps := ms[li].log.Status().Peers
		return len(ps) == 2 && ps[0].Active && ps[1].Active
	}, 10*time.Second, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, ms[li].log.TransferLeadership(ctx))
	next := waitLeader(t, ms, li)
	require.NotEqual(t, li, next)
	require.NoError(t, propose(ms[next].log, "after transfer"))
	// A follower has nothing to hand over.
	require.NoError(t, ms[li].log.TransferLeadership(ctx))
}
