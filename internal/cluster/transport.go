package cluster

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
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
}

// Transport carries raft messages between members over plain TCP on the
// raft address: one outgoing connection per peer, each message a frame
// [u32 length][protobuf raftpb.Message]. It has no TLS or authentication
// yet, which is why raft addresses are refused beyond loopback
// (config.checkPeerAddr).
//
// Send never blocks the Ready loop: each peer has a queue and a sender
// goroutine; a full queue drops (raft retransmits) and tells raft the
// peer is unreachable, so the leader probes instead of streaming.
type Transport struct {
	logger *slog.Logger
	ln     net.Listener
	recv   atomic.Pointer[Receiver]
	peers  map[uint64]*peer

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
	stop   chan struct{}

	// Sent and Dropped count messages, for metrics.
	sent, dropped atomic.Uint64
	snapWarned    atomic.Int64
}

type peer struct {
	id   uint64
	addr string
	q    chan []byte
}

// NewTransport listens on st's raft address and starts a sender per
// peer. Messages that arrive before SetReceiver are dropped.
func NewTransport(st *State, logger *slog.Logger) (*Transport, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	self := st.Self()
	ln, err := net.Listen("tcp", self.RaftAddr)
	if err != nil {
		return nil, fmt.Errorf("raft-addr: %w", err)
	}
	t := &Transport{logger: logger, ln: ln, peers: map[uint64]*peer{}, conns: map[net.Conn]struct{}{}, stop: make(chan struct{})}
	for _, m := range st.Peers() {
		p := &peer{id: m.RaftID, addr: m.RaftAddr, q: make(chan []byte, peerQueue)}
		t.peers[m.RaftID] = p
		t.wg.Add(1)
		go t.sendLoop(p)
	}
	t.wg.Add(1)
	go t.acceptLoop()
	return t, nil
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
// A snapshot message is not sent: streaming snapshots is not
// implemented, so raft is told it failed and the follower stays behind
// (logged).
func (t *Transport) Send(msgs []*pb.Message) {
	for _, m := range msgs {
		to := m.GetTo()
		p := t.peers[to]
		if p == nil {
			continue
		}
		if m.GetType() == pb.MessageType_MsgSnap {
			if r := t.receiver(); r != nil {
				r.ReportSnapshotFailure(to)
			}
			if now := time.Now().Unix(); t.snapWarned.Swap(now) < now-10 {
				t.logger.Error("a follower needs a snapshot, and sending snapshots is not implemented yet: it stays behind",
					"peer", to, "index", m.GetSnapshot().GetMetadata().GetIndex())
			}
			continue
		}
		b, err := proto.Marshal(m)
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
		case b = <-p.q:
		}
		if conn == nil {
			c, err := net.DialTimeout("tcp", p.addr, dialTimeout)
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
			t.sent.Add(1)
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

// readLoop reads frames from one peer's connection until it closes.
func (t *Transport) readLoop(c net.Conn) {
	defer t.wg.Done()
	defer func() {
		t.mu.Lock()
		delete(t.conns, c)
		t.mu.Unlock()
		_ = c.Close()
	}()
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
		m := &pb.Message{}
		if err := proto.Unmarshal(buf, m); err != nil {
			t.logger.Warn("raft peer sent an unreadable message; closing the connection", "err", err, "remote", c.RemoteAddr().String())
			return
		}
		if rc := t.receiver(); rc != nil {
			rc.Step(m)
		}
	}
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
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
