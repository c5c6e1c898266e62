package testutil

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Link is what a RaftNet does to the bytes one member sends another.
type Link struct {
	// Cut closes the link's connections and every new one at once: the
	// sender sees a reset, as when a peer's host is unreachable.
	Cut bool
	// Drop keeps the connections open but throws away what is sent: the
	// sender's writes succeed and nothing arrives, as when packets are
	// lost on the way.
	Drop bool
	// Delay holds every chunk that long before passing it on (order
	// kept): a slow link.
	Delay time.Duration
}

// RaftNet is a set of TCP proxies, one in front of each cluster
// member's raft listener, that injects faults per link and direction
// (from member i to member j) without network namespaces: the members
// dial each other at the proxies' addresses (their raft-addr), and
// listen on 127.0.0.(11+i) (raft-listen-addr), from which their own
// connections leave, which is how a proxy tells the sender apart.
//
// A TCP connection from i to j carries i's raft messages to j (raft's
// transport opens one per direction); what j answers on it (a snapshot
// stream's acknowledgement) goes through the link from j to i.
type RaftNet struct {
	t       testing.TB
	mu      sync.Mutex
	links   map[[2]int]Link
	conns   map[[2]int]map[net.Conn]struct{} // open proxied connections per link, both ends
	src     map[string]int                   // a member's source IP -> its index
	proxies []net.Listener
	closed  bool
	wg      sync.WaitGroup
}

// memberIP is the loopback address member i listens on and dials from.
func memberIP(i int) string { return "127.0.0." + strconv.Itoa(11+i) }

// newRaftNet starts a proxy for each of n members. It returns the net
// and, per member, the address the others dial (the proxy's, for
// raft-addr and initial-cluster) and the address the member listens on
// (for raft-listen-addr). The proxies close at the end of the test.
func newRaftNet(t testing.TB, n int) (rn *RaftNet, dial, listen []string) {
	t.Helper()
	rn = &RaftNet{t: t, links: map[[2]int]Link{}, conns: map[[2]int]map[net.Conn]struct{}{}, src: map[string]int{}}
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("raft proxy: %v", err)
		}
		rn.proxies = append(rn.proxies, ln)
		rn.src[memberIP(i)] = i
		dial = append(dial, ln.Addr().String())
		listen = append(listen, freeAddrOn(t, memberIP(i)))
	}
	for i, ln := range rn.proxies {
		rn.wg.Add(1)
		go rn.accept(ln, i, listen[i])
	}
	t.Cleanup(rn.close)
	return rn, dial, listen
}

// freeAddrOn returns ip:PORT with a port that was free there a moment ago.
func freeAddrOn(t testing.TB, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("free port on %s (Linux routes all of 127.0.0.0/8 to loopback): %v", ip, err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// Set makes the link from member from to member to behave as l. A cut
// closes the link's open connections at once.
func (rn *RaftNet) Set(from, to int, l Link) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	rn.links[[2]int{from, to}] = l
	if l.Cut {
		for c := range rn.conns[[2]int{from, to}] {
			_ = c.Close()
		}
	}
}

// Isolate cuts every link to and from member i: a partition of i from
// the others, both directions.
func (rn *RaftNet) Isolate(i int) {
	for j := range rn.proxies {
		if j != i {
			rn.Set(i, j, Link{Cut: true})
			rn.Set(j, i, Link{Cut: true})
		}
	}
}

// Heal makes every link pass traffic unchanged again.
func (rn *RaftNet) Heal() {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	rn.links = map[[2]int]Link{}
}

func (rn *RaftNet) link(from, to int) Link {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return rn.links[[2]int{from, to}]
}

// track registers c as a connection of the link from->to; false when
// the link is cut (or the net closed) and c must not be used.
func (rn *RaftNet) track(from, to int, c net.Conn) bool {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.closed || rn.links[[2]int{from, to}].Cut {
		return false
	}
	k := [2]int{from, to}
	if rn.conns[k] == nil {
		rn.conns[k] = map[net.Conn]struct{}{}
	}
	rn.conns[k][c] = struct{}{}
	return true
}

func (rn *RaftNet) untrack(from, to int, c net.Conn) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	delete(rn.conns[[2]int{from, to}], c)
}

// accept proxies connections to member to, listening at upstream.
func (rn *RaftNet) accept(ln net.Listener, to int, upstream string) {
	defer rn.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed
		}
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		from, ok := rn.src[host]
		if !ok {
			// Not a member (the test itself): no faults apply.
			from = -1
		}
		rn.wg.Add(1)
		go rn.serve(c, from, to, upstream)
	}
}

// serve pipes one connection from member from to member to, both
// directions, through their links, until either end closes or a link is
// cut.
func (rn *RaftNet) serve(c net.Conn, from, to int, upstream string) {
	defer rn.wg.Done()
	defer func() { _ = c.Close() }()
	if !rn.track(from, to, c) {
		return
	}
	defer rn.untrack(from, to, c)
	up, err := net.DialTimeout("tcp", upstream, time.Second)
	if err != nil {
		return // the member is down: the sender sees the connection close
	}
	defer func() { _ = up.Close() }()
	if !rn.track(to, from, up) {
		return
	}
	defer rn.untrack(to, from, up)
	done := make(chan struct{}, 2)
	go func() { rn.pipe(c, up, from, to); done <- struct{}{} }()
	go func() { rn.pipe(up, c, to, from); done <- struct{}{} }()
	<-done
	// One side ended: close both, so that the other pipe ends too.
	_ = c.Close()
	_ = up.Close()
	<-done
}

// chunk is bytes read from one side, due at the other at a time.
type chunk struct {
	b   []byte
	due time.Time
}

// pipe copies src to dst through the link from->to: dropped, delayed
// (a writer goroutine delivers each chunk at its due time, in order) or
// passed on.
func (rn *RaftNet) pipe(src, dst net.Conn, from, to int) {
	q := make(chan chunk, 256)
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		for ch := range q {
			if d := time.Until(ch.due); d > 0 {
				time.Sleep(d)
			}
			if _, err := dst.Write(ch.b); err != nil {
				_ = src.Close()
				for range q {
				}
				return
			}
		}
	}()
	defer func() { close(q); <-wrote }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			l := rn.link(from, to)
			switch {
			case l.Cut:
				return
			case l.Drop:
			default:
				q <- chunk{b: append([]byte(nil), buf[:n]...), due: time.Now().Add(l.Delay)}
			}
		}
		if err != nil {
			return
		}
	}
}

// close stops the proxies and their connections and waits for them.
func (rn *RaftNet) close() {
	rn.mu.Lock()
	rn.closed = true
	for _, cs := range rn.conns {
		for c := range cs {
			_ = c.Close()
		}
	}
	rn.mu.Unlock()
	for _, ln := range rn.proxies {
		_ = ln.Close()
	}
	rn.wg.Wait()
}

// String names the links that are not plain, for test logs.
func (rn *RaftNet) String() string {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return fmt.Sprint(rn.links)
}
