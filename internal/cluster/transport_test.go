package cluster

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/guocedb/guocedb/internal/config"
)

// goneRecorder is a Receiver that records PeerGone reports.
type goneRecorder struct {
	mu   sync.Mutex
	gone []uint64
}

func (r *goneRecorder) Step(*pb.Message)             {}
func (r *goneRecorder) ReportUnreachable(uint64)     {}
func (r *goneRecorder) ReportSnapshotFailure(uint64) {}
func (r *goneRecorder) ReportSnapshotDone(uint64)    {}
func (r *goneRecorder) PeerGone(id uint64) {
	r.mu.Lock()
	r.gone = append(r.gone, id)
	r.mu.Unlock()
}

func (r *goneRecorder) count(id uint64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, g := range r.gone {
		if g == id {
			n++
		}
	}
	return n
}

// TestTransportReportsGonePeers: a peer whose connection ends and whose
// raft address then refuses connections is reported gone, and so is a
// peer that comes back as a new process (a new incarnation); a peer
// whose connection merely broke is not.
func TestTransportReportsGonePeers(t *testing.T) {
	spec := []string{"n1=" + freeAddr(t), "n2=" + freeAddr(t)}
	start := func(i int) *Transport {
		cfg := config.Default()
		cfg.NodeID, cfg.InitialCluster = fmt.Sprintf("n%d", i+1), strings.Join(spec, ",")
		cfg.RaftAddr = strings.SplitN(spec[i], "=", 2)[1]
		st, err := Prepare(t.TempDir(), cfg, false, nil)
		require.NoError(t, err)
		tr, err := NewTransport(st, "", nil, nil)
		require.NoError(t, err)
		return tr
	}
	a, b := start(0), start(1)
	defer func() { require.NoError(t, b.Close()) }()
	rec := &goneRecorder{}
	b.SetReceiver(rec)
	a.SetReceiver(&goneRecorder{})
	heartbeat := func(tr *Transport) {
		tr.Send([]*pb.Message{{Type: pb.MessageType_MsgHeartbeat.Enum(), From: new(uint64(1)), To: new(uint64(2))}})
	}
	heartbeat(a)
	require.Eventually(t, func() bool { _, ok := b.Peers()[1]; return ok }, 10*time.Second, 10*time.Millisecond, "b hears from a")

	// A connection that breaks while its peer still listens: not gone.
	b.mu.Lock()
	for c := range b.conns {
		_ = c.Close()
	}
	b.mu.Unlock()
	heartbeat(a)
	time.Sleep(200 * time.Millisecond)
	require.Zero(t, rec.count(1), "a peer that still listens is not gone")

	// The process goes: its connections end, its address refuses.
	heartbeat(a)
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, a.Close())
	require.Eventually(t, func() bool { return rec.count(1) >= 1 }, 10*time.Second, 10*time.Millisecond, "a closed peer is reported gone")

	// It comes back as another process: its info, first on every
	// connection and at its start, names a new incarnation.
	a2 := start(0)
	defer func() { require.NoError(t, a2.Close()) }()
	a2.SetReceiver(&goneRecorder{})
	require.Eventually(t, func() bool {
		b.infoMu.Lock()
		defer b.infoMu.Unlock()
		return b.peerIncarnation[1] == a2.incarnation
	}, 10*time.Second, 10*time.Millisecond, "b learns a's new incarnation")
	n := rec.count(1)
	require.True(t, b.noteInfo(a2.infoFrame()[1:]))
	require.Equal(t, n, rec.count(1), "the same incarnation again is no news")
	next, err := json.Marshal(infoJSON{MemberInfo{NodeID: "n1"}, 1, a2.incarnation + 1})
	require.NoError(t, err)
	require.True(t, b.noteInfo(next))
	require.Equal(t, n+1, rec.count(1), "a new incarnation is a restart")
}
