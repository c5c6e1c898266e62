package testutil

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRaftNet drives the proxy in front of member 1 with connections
// from member 0's address: bytes pass, are delayed, dropped, or the
// connection is cut, as the link says; a caller that is no member is
// never faulted.
func TestRaftNet(t *testing.T) {
	rn, dial, listen := newRaftNet(t, 2)
	ln, err := net.Listen("tcp", listen[1])
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	got := make(chan string, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { _ = c.Close() }()
				buf := make([]byte, 64)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					got <- string(buf[:n])
				}
			}()
		}
	}()
	from0 := func() net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(memberIP(0))}, Timeout: time.Second}
		c, err := d.Dial("tcp", dial[1])
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	recv := func() string {
		select {
		case s := <-got:
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("nothing arrived")
			return ""
		}
	}

	c := from0()
	_, err = c.Write([]byte("hello"))
	require.NoError(t, err)
	require.Equal(t, "hello", recv())

	rn.Set(0, 1, Link{Delay: 300 * time.Millisecond})
	sent := time.Now()
	_, err = c.Write([]byte("slow"))
	require.NoError(t, err)
	require.Equal(t, "slow", recv())
	require.GreaterOrEqual(t, time.Since(sent), 300*time.Millisecond, "a delayed chunk arrived early")

	rn.Set(0, 1, Link{Drop: true})
	_, err = c.Write([]byte("lost"))
	require.NoError(t, err, "a dropping link keeps the connection")
	time.Sleep(100 * time.Millisecond)
	rn.Set(0, 1, Link{})
	_, err = c.Write([]byte("after"))
	require.NoError(t, err)
	require.Equal(t, "after", recv(), "a dropped chunk arrived")

	rn.Set(0, 1, Link{Cut: true})
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err, "a cut link's connection stays open")
	require.False(t, isTimeout(err), "a cut link's connection stays open: %v", err)
	c2 := from0()
	_ = c2.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = c2.Read(make([]byte, 1))
	require.Error(t, err)
	require.False(t, isTimeout(err), "a new connection over a cut link stays open: %v", err)

	// The test itself (127.0.0.1) is no member: no fault applies.
	c3, err := net.DialTimeout("tcp", dial[1], time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c3.Close() })
	_, err = c3.Write([]byte("outsider"))
	require.NoError(t, err)
	require.Equal(t, "outsider", recv())

	rn.Heal()
	c4 := from0()
	_, err = c4.Write([]byte("healed"))
	require.NoError(t, err)
	require.Equal(t, "healed", recv())
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
