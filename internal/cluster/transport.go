package cluster

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/guocedb/guocedb/internal/raftlog"
)

// maxFrame bounds one message on the wire: the largest entry the log
// accepts plus room for raft's own fields.
const maxFrame = raftlog.MaxProposal + 1<<20

// peerQueue is how many messages wait for one peer before new ones are
// dropped (raft retransmits; a dead peer must not hold memory).
const peerQueue = 4096

// dialTimeout and the redial backoff bound how long a dead peer costs.
const (
	dialTimeout = time.Second
	minBackoff  = 50 * time.Millisecond
	maxBackoff  = time.Second
)

// Receiver is what the transport hands messages and delivery failures
// to: the commit log (raftlog.Log). Its methods must not block.
type Receiver interface {
	Step(*pb.Message)
	ReportUnreachable(id uint64)
	ReportSnapshotFailure(id uint64)
	ReportSnapshotDone(id uint64)
	// PeerGone: peer id's process is gone (probeGone) or restarted
	// (noteInfo).
	PeerGone(id uint64)
}

// Frame kinds: the byte after a frame's length.
const (
	frameRaft byte = 0 // a protobuf raftpb.Message
	frameInfo byte = 1 // the sender's MemberInfo as JSON
)

// infoInterval is how often a member tells every peer its MemberInfo:
// raft connects followers only to the leader, so this is also how a
// follower learns that another follower is alive.
const infoInterval = time.Second

// MemberInfo is what a member tells its peers about itself beyond raft:
// for performance_schema.replication_group_members.
type MemberInfo struct {
	NodeID string `json:"node_id"`
	// MySQLAddr is its MySQL listener, HOST:PORT ("" until it listens).
	MySQLAddr string `json:"mysql_addr"`
	// Version is its guocedb version.
	Version string `json:"version"`
	// AdminAddr is its admin API listener ("" without one): where
	// membership changes sent to a follower are redirected when this
	// member leads.
	AdminAddr string `json:"admin_addr,omitempty"`
}

// PeerInfo is a peer's last MemberInfo and when anything last arrived
// from it.
type PeerInfo struct {
	MemberInfo
	LastSeen time.Time
}

// Transport carries raft messages between members over TCP on the raft
// address: one outgoing connection per peer, each message a frame
// [u32 length][kind][payload] (kind: frameRaft, a protobuf
// raftpb.Message, or frameInfo, the sender's MemberInfo, sent on connect
// and every second). With PeerTLS every connection is TLS, both sides
// verified against the cluster CA; without it there is no
// authentication, which is why raft addresses are then refused beyond
// loopback (config.checkPeerAddr).
//
// Send never blocks the Ready loop: each peer has a queue and a sender
// goroutine; a full queue drops (raft retransmits) and tells raft the
// peer is unreachable, so the leader probes instead of streaming.
type Transport struct {
	logger *slog.Logger
	ln     net.Listener
	dialer *net.Dialer
	tls    *PeerTLS // nil: plain TCP
	recv   atomic.Pointer[Receiver]
	// peers follow the membership (SetState); Send reads them under
	// peersMu.
	peersMu sync.Mutex
	peers   map[uint64]*peer

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
	stop   chan struct{}

	// Sent and Dropped count messages, for metrics.
	sent, dropped atomic.Uint64

	// Snapshot streaming (snapshot.go): the store's two sides, the
	// peers a stream is in flight to, and the bytes moved.
	snapMu             sync.Mutex
	snapSrc            SnapshotSource
	snapSink           SnapshotSink
	snapBusy           map[uint64]bool
	snapSent, snapRecv atomic.Uint64
	// snapKept: the snapshots failed streams left pinned, by peer
	// (snapshot_keep.go), for snapRetain. snapResumeWait bounds the wait
	// for a receiver's resume request. snapLegacy makes this member
	// stream and receive as the release before resumable streams did
	// (tests of mixed releases set it).
	// snapRecvMu serializes received streams: a stream that follows a
	// cut one must not ask where to resume before the cut one's load
	// has stopped and recorded its progress, nor load beside it.
	snapRecvMu     sync.Mutex
	snapKept       map[uint64]*keptSnapshot
	snapRetain     time.Duration
	snapResumeWait time.Duration
	snapLegacy     bool

	self     uint64 // this member's raft id
	st       atomic.Pointer[State]
	infoMu   sync.Mutex
	local    MemberInfo
	peerInfo map[uint64]PeerInfo
	// incarnation tells this process from the member's earlier ones, in
	// its info; peerIncarnation is each peer's last (probeGone).
	incarnation     uint64
	peerIncarnation map[uint64]uint64
}

type peer struct {
	id   uint64
	addr string
	q    chan []byte
	stop chan struct{} // closed when the member is removed
}

// NewTransport listens on listenAddr (st's raft address when empty: the
// one the others dial) and starts a sender per peer. Outgoing
// connections leave from listenAddr's host when it is an IP address, so
// that a peer, or a proxy or firewall in front of it, sees a member's
// connections come from the member's own address (the test harness's
// fault-injecting proxies tell members apart by it). Messages that
// arrive before SetReceiver are dropped. With peerTLS every connection,
// both ways, runs over TLS with members verified by the cluster CA;
// without it, plain TCP.
func NewTransport(st *State, listenAddr string, peerTLS *PeerTLS, logger *slog.Logger) (*Transport, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	self := st.Self()
	key := "raft-listen-addr"
	if listenAddr == "" {
		listenAddr, key = self.RaftAddr, "raft-addr"
	}
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	dialer := &net.Dialer{Timeout: dialTimeout}
	if host, _, err := net.SplitHostPort(listenAddr); err == nil {
		if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
			dialer.LocalAddr = &net.TCPAddr{IP: ip}
		}
	}
	t := &Transport{logger: logger, ln: ln, dialer: dialer, tls: peerTLS, peers: map[uint64]*peer{}, conns: map[net.Conn]struct{}{}, stop: make(chan struct{}),
		self: self.RaftID, local: MemberInfo{NodeID: st.NodeID}, peerInfo: map[uint64]PeerInfo{}, snapBusy: map[uint64]bool{},
		snapKept: map[uint64]*keptSnapshot{}, snapRetain: snapRetain, snapResumeWait: snapResumeWait,
		incarnation: rand.Uint64() | 1, peerIncarnation: map[uint64]uint64{}}
	t.SetState(st)
	t.wg.Add(2)
	go t.acceptLoop()
	go t.infoLoop()
	// At once, not after the first infoInterval: a member that restarted
	// tells its peers so (noteInfo), and that its MySQL address is not
	// known yet.
	t.sendInfo()
	return t, nil
}

// SetState makes the transport follow st's members: a sender for each
// new peer, none for a removed one (its queue is dropped). A member's
// address never changes under its raft id.
func (t *Transport) SetState(st *State) {
	t.st.Store(st)
	t.peersMu.Lock()
	defer t.peersMu.Unlock()
	want := map[uint64]Member{}
	for _, m := range st.Peers() {
		want[m.RaftID] = m
	}
	for id, p := range t.peers {
		if _, ok := want[id]; !ok {
			close(p.stop)
			delete(t.peers, id)
			t.infoMu.Lock()
			delete(t.peerInfo, id)
			delete(t.peerIncarnation, id)
			t.infoMu.Unlock()
		}
	}
	// Under mu: no new sender once Close waits for them.
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, m := range want {
		if _, ok := t.peers[id]; ok || t.closed {
			continue
		}
		p := &peer{id: id, addr: m.RaftAddr, q: make(chan []byte, peerQueue), stop: make(chan struct{})}
		t.peers[id] = p
		t.wg.Add(1)
		go t.sendLoop(p)
	}
}

// SetLocalInfo sets what this member tells its peers about itself (its
// MySQL address is known only once the listener is bound).
func (t *Transport) SetLocalInfo(info MemberInfo) {
	info.NodeID = t.st.Load().NodeID
	t.infoMu.Lock()
	t.local = info
	t.infoMu.Unlock()
	t.sendInfo()
}

// Peers returns what each peer last said about itself, by raft id.
func (t *Transport) Peers() map[uint64]PeerInfo {
	t.infoMu.Lock()
	defer t.infoMu.Unlock()
	out := make(map[uint64]PeerInfo, len(t.peerInfo))
	for id, p := range t.peerInfo {
		out[id] = p
	}
	return out
}

func (t *Transport) infoFrame() []byte {
	t.infoMu.Lock()
	info := t.local
	t.infoMu.Unlock()
	b, _ := json.Marshal(infoJSON{info, t.self, t.incarnation})
	return append([]byte{frameInfo}, b...)
}

// sendInfo queues this member's info for every peer (dropped, like any
// frame, when a queue is full).
func (t *Transport) sendInfo() {
	f := t.infoFrame()
	t.peersMu.Lock()
	defer t.peersMu.Unlock()
	for _, p := range t.peers {
		select {
		case p.q <- f:
		default:
		}
	}
}

func (t *Transport) infoLoop() {
	defer t.wg.Done()
	tick := time.NewTicker(infoInterval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			t.sendInfo()
		}
	}
}

// Secure reports whether members talk over verified TLS: raft
// addresses may then leave loopback.
func (t *Transport) Secure() bool { return t.tls != nil }

// dial connects to a peer's raft address, over TLS when members use it.
func (t *Transport) dial(addr string) (net.Conn, error) {
	c, err := t.dialer.Dial("tcp", addr)
	if err != nil || t.tls == nil {
		return c, err
	}
	tc, err := t.tls.client(c, addr)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return tc, nil
}

// Addr is the address the transport listens on.
func (t *Transport) Addr() net.Addr { return t.ln.Addr() }

// SetReceiver directs incoming messages and delivery reports to r.
func (t *Transport) SetReceiver(r Receiver) { t.recv.Store(&r) }

func (t *Transport) receiver() Receiver {
	if p := t.recv.Load(); p != nil {
		return *p
	}
	return nil
}

// Send queues msgs for their peers; it is raftlog's ClusterOptions.Send.
// A snapshot message starts a snapshot stream on a connection of its
// own (snapshot.go) instead of being queued.
func (t *Transport) Send(msgs []*pb.Message) {
	t.peersMu.Lock()
	defer t.peersMu.Unlock()
	for _, m := range msgs {
		to := m.GetTo()
		p := t.peers[to]
		if p == nil {
			continue
		}
		if m.GetType() == pb.MessageType_MsgSnap {
			t.sendSnapshot(p, m)
			continue
		}
		b, err := proto.MarshalOptions{}.MarshalAppend([]byte{frameRaft}, m)
		if err != nil {
			t.logger.Error("raft message not encodable", "err", err)
			continue
		}
		select {
		case p.q <- b:
		default:
			t.dropped.Add(1)
			if r := t.receiver(); r != nil {
				r.ReportUnreachable(to)
			}
		}
	}
}

// Counts returns how many messages were sent and dropped.
func (t *Transport) Counts() (sent, dropped uint64) { return t.sent.Load(), t.dropped.Load() }

// sendLoop keeps one connection to p and writes its queue to it,
// flushing when the queue is empty: messages that pile up while a write
// is in flight go out in one write.
func (t *Transport) sendLoop(p *peer) {
	defer t.wg.Done()
	var (
		conn    net.Conn
		w       *bufio.Writer
		backoff = minBackoff
	)
	defer func() {
		if conn != nil {
			_ = conn.Close()
		}
	}()
	fail := func(err error) {
		t.logger.Debug("raft peer unreachable", "peer", p.id, "addr", p.addr, "err", err)
		if r := t.receiver(); r != nil {
			r.ReportUnreachable(p.id)
			if refused(err) {
				r.PeerGone(p.id)
			}
		}
		if conn != nil {
			_ = conn.Close()
			conn = nil
		}
	}
	var hdr [4]byte
	for {
		var b []byte
		select {
		case <-t.stop:
			return
		case <-p.stop:
			return
		case b = <-p.q:
		}
		if conn == nil {
			c, err := t.dial(p.addr)
			if err != nil {
				fail(err)
				t.dropped.Add(1)
				select {
				case <-t.stop:
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, maxBackoff)
				continue
			}
			conn, w, backoff = c, bufio.NewWriterSize(c, 64<<10), minBackoff
			// Who we are, first on every connection.
			if b[0] != frameInfo {
				_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
				f := t.infoFrame()
				binary.BigEndian.PutUint32(hdr[:], uint32(len(f)))
				if _, err := w.Write(hdr[:]); err == nil {
					_, _ = w.Write(f)
				}
			}
		}
		for b != nil {
			binary.BigEndian.PutUint32(hdr[:], uint32(len(b)))
			// A write deadline: a peer that stops reading (SIGSTOP) must
			// not hold the queue forever.
			_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, err := w.Write(hdr[:])
			if err == nil {
				_, err = w.Write(b)
			}
			if err != nil {
				fail(err)
				break
			}
			if b[0] == frameRaft {
				t.sent.Add(1)
			}
			select {
			case b = <-p.q:
			default:
				b = nil
				if err := w.Flush(); err != nil {
					fail(err)
				}
			}
		}
	}
}

func (t *Transport) acceptLoop() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return // closed
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			_ = c.Close()
			return
		}
		t.conns[c] = struct{}{}
		t.mu.Unlock()
		t.wg.Add(1)
		go t.readLoop(c)
	}
}

// handshake completes the TLS handshake of an accepted connection when
// members use TLS, bounded by handshakeTimeout; a plaintext peer, or one
// whose certificate the cluster CA did not sign, fails here.
func (t *Transport) handshake(c net.Conn) (net.Conn, bool) {
	if t.tls == nil {
		return c, true
	}
	tc := tls.Server(c, t.tls.listen)
	_ = tc.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := tc.Handshake(); err != nil {
		t.logger.Warn("raft peer refused: TLS handshake failed", "err", err, "remote", c.RemoteAddr().String())
		return nil, false
	}
	_ = tc.SetDeadline(time.Time{})
	return tc, true
}

// readLoop reads frames from one peer's connection until it closes.
func (t *Transport) readLoop(raw net.Conn) {
	defer t.wg.Done()
	var from uint64 // the peer, once a raft message named it
	defer func() {
		t.mu.Lock()
		delete(t.conns, raw)
		t.mu.Unlock()
		_ = raw.Close()
		if from != 0 {
			t.probeGone(from)
		}
	}()
	c, ok := t.handshake(raw)
	if !ok {
		return
	}
	r := bufio.NewReaderSize(c, 64<<10)
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n > maxFrame {
			t.logger.Warn("raft peer sent an oversized frame; closing the connection", "bytes", n, "remote", c.RemoteAddr().String())
			return
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		if n == 0 {
			t.logger.Warn("raft peer sent an empty frame; closing the connection", "remote", c.RemoteAddr().String())
			return
		}
		if buf[0] == frameSnapBegin {
			// The connection carries one snapshot stream, then closes.
			t.receiveSnapshot(c, r, buf[1:])
			return
		}
		if buf[0] == frameInfo {
			if !t.noteInfo(buf[1:]) {
				t.logger.Warn("raft peer sent unreadable member info; closing the connection", "remote", c.RemoteAddr().String())
				return
			}
			continue
		}
		m := &pb.Message{}
		if err := proto.Unmarshal(buf[1:], m); err != nil || buf[0] != frameRaft {
			t.logger.Warn("raft peer sent an unreadable message; closing the connection", "err", err, "remote", c.RemoteAddr().String())
			return
		}
		from = m.GetFrom()
		t.seen(from)
		if rc := t.receiver(); rc != nil {
			rc.Step(m)
		}
	}
}

// probeGone runs when a connection from peer id ended, other than by
// Close: one dial to the peer's raft address tells a process that is
// gone (killed, crashed: its kernel closed the connection, and the
// refused dial says nothing listens any more) from a connection that
// broke (the dial succeeds; raft's timeouts handle that). A gone
// process is reported to the receiver, whose follower then need not
// wait out an election timeout if that peer led (raftlog.Log.PeerGone).
// A dead host refuses nothing: that takes the election timeout.
func (t *Transport) probeGone(id uint64) {
	select {
	case <-t.stop:
		return
	default:
	}
	t.peersMu.Lock()
	p := t.peers[id]
	t.peersMu.Unlock()
	if p == nil {
		return
	}
	c, err := t.dial(p.addr)
	if err == nil {
		_ = c.Close()
		return
	}
	if rc := t.receiver(); rc != nil && refused(err) {
		t.logger.Info("raft peer's process is gone (its connection ended, nothing listens at its address)", "peer", id, "addr", p.addr)
		rc.PeerGone(id)
	}
}

// refused reports whether err is a refused connection: the peer's host
// answered that nothing listens at the address.
func refused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// infoJSON is a frameInfo's payload.
type infoJSON struct {
	MemberInfo
	RaftID uint64 `json:"raft_id"`
	// Incarnation is random per process ("" from releases before it).
	Incarnation uint64 `json:"incarnation,omitempty"`
}

// noteInfo records a peer's MemberInfo; false for one that is not JSON
// or names no member of this cluster under its raft id. A peer whose
// incarnation changed restarted: it leads no more (a restarted member
// starts as a follower), which the receiver learns like a gone process
// (PeerGone): a supervisor may restart a killed leader before probeGone
// finds its address unused.
func (t *Transport) noteInfo(b []byte) bool {
	var in infoJSON
	if json.Unmarshal(b, &in) != nil {
		return false
	}
	m, ok := t.st.Load().ByRaftID(in.RaftID)
	if !ok {
		// A member this node has not applied the addition of yet, or
		// one removed: its info is not kept, its messages still go to
		// raft (which knows the configuration).
		return true
	}
	if m.NodeID != in.NodeID || in.RaftID == t.self {
		return false
	}
	t.infoMu.Lock()
	t.peerInfo[in.RaftID] = PeerInfo{MemberInfo: in.MemberInfo, LastSeen: time.Now()}
	was := t.peerIncarnation[in.RaftID]
	if in.Incarnation != 0 {
		t.peerIncarnation[in.RaftID] = in.Incarnation
	}
	t.infoMu.Unlock()
	if was != 0 && in.Incarnation != 0 && was != in.Incarnation {
		if rc := t.receiver(); rc != nil {
			t.logger.Info("raft peer restarted", "peer", in.RaftID, "node_id", in.NodeID)
			rc.PeerGone(in.RaftID)
		}
	}
	return true
}

// seen notes that a raft message from peer id arrived.
func (t *Transport) seen(id uint64) {
	t.infoMu.Lock()
	if p, ok := t.peerInfo[id]; ok {
		p.LastSeen = time.Now()
		t.peerInfo[id] = p
	}
	t.infoMu.Unlock()
}

// Close stops listening, closes every connection and waits for the
// transport's goroutines.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	for c := range t.conns {
		_ = c.Close()
	}
	t.mu.Unlock()
	close(t.stop)
	err := t.ln.Close()
	t.wg.Wait()
	t.releaseKept()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
