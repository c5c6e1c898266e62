package console

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestConsoleOffLoopbackNeedsTLS: a client on another host is refused
// without TLS, for the pages as for the login; over TLS it is served and
// the cookie is Secure. (The handler is driven directly: tests talk only
// to 127.0.0.1, so the remote address is set on the request.)
func TestConsoleOffLoopbackNeedsTLS(t *testing.T) {
	c := New(Options{}, nil)
	for _, tc := range []struct {
		remote string
		tls    bool
		want   int
	}{
		{"127.0.0.1:5000", false, http.StatusOK},
		{"[::1]:5000", false, http.StatusOK},
		{"10.1.2.3:5000", false, http.StatusForbidden},
		{"[2001:db8::1]:5000", false, http.StatusForbidden},
		{"10.1.2.3:5000", true, http.StatusOK},
	} {
		req := httptest.NewRequest("GET", "/ui/", nil)
		req.RemoteAddr = tc.remote
		if tc.tls {
			req.TLS = &tls.ConnectionState{}
		}
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		require.Equal(t, tc.want, rec.Code, "%s tls=%v", tc.remote, tc.tls)
		require.NotEmpty(t, rec.Header().Get("Content-Security-Policy"))
		require.Equal(t, "DENY", rec.Header().Get("X-Frame-Options"))
	}

	for path, want := range map[string]int{"/ui/assets/app.js": 200, "/ui/assets/": 404, "/ui/assets/nope.js": 404} {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = "127.0.0.1:5000"
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		require.Equal(t, want, rec.Code, path)
	}

	login := httptest.NewRequest("POST", "/ui/api/login", strings.NewReader(`{"user":"root","password":""}`))
	login.RemoteAddr = "10.1.2.3:5000"
	login.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, login)
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Contains(t, rec.Body.String(), "only over TLS")
}

// TestConsoleSessionExpiry: a session ends after the idle timeout and
// after the maximum age, however busy.
func TestConsoleSessionExpiry(t *testing.T) {
	now := &testClock{}
	s := newSessionStore(now.now)
	id, _ := s.create("u", "127.0.0.1")
	_, ok := s.get(id)
	require.True(t, ok)
	now.add(idleTimeout + 1)
	_, ok = s.get(id)
	require.False(t, ok, "idle")

	id, _ = s.create("u", "127.0.0.1")
	created := now.elapsed()
	for now.elapsed()-created <= maxAge {
		_, ok = s.get(id)
		require.True(t, ok, "used every %s, alive until maxAge", idleTimeout/2)
		now.add(idleTimeout / 2)
	}
	_, ok = s.get(id)
	require.False(t, ok, "older than maxAge")
}

// testClock is a clock the test moves.
type testClock struct{ d time.Duration }

func (c *testClock) now() time.Time         { return time.Unix(1_700_000_000, 0).Add(c.d) }
func (c *testClock) add(d time.Duration)    { c.d += d }
func (c *testClock) elapsed() time.Duration { return c.d }
