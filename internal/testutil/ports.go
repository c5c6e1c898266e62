package testutil

import (
	"net"
	"strconv"
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
func FreePort(t testing.TB) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = make(map[int]bool)
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

// FreeAddr returns "127.0.0.1:PORT" for a FreePort.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
}
