package testutil

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// handedOut are the ports FreePort returned in this process: the kernel
// may give a port it just released to the next listener on port 0, and
// two addresses of one cluster must differ.
var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago,
// never one it returned before in this process. Another process can take
// it before the caller binds it; prefer port 0 where the code under test
// reports the bound address.
//
// The port lies below the kernel's ephemeral range when it can: a port
// from that range (what port 0 gives) is also the local port of some
// outgoing connection sooner or later, and a member restarted on its
// fixed raft address then fails with "address already in use" (the
// cluster soak hit it once in about 250 restarts).
func FreePort(t testing.TB) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = make(map[int]bool)
	}
	if low := ephemeralLow(); low > 12000 {
		for range 200 {
			port := 10000 + rand.IntN(low-10000)
			if handedOut.ports[port] {
				continue
			}
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				continue
			}
			_ = ln.Close()
			handedOut.ports[port] = true
			return port
		}
	}
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port
		}
	}
	t.Fatalf("free port: 100 tries gave ports handed out before")
	return 0
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux),
// 0 when unknown.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	low, err := strconv.Atoi(f[0])
	if err != nil {
		return 0
	}
	return low
}

// FreeAddr returns "127.0.0.1:PORT" for a FreePort.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
}
