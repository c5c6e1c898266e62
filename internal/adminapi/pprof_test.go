package adminapi_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPprof: the admin listener serves Go's profiles to users with
// PROCESS or SUPER, and to nobody else.
func TestPprof(t *testing.T) {
	f := startFixture(t)
	get := func(path, user, password string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, "http://"+f.adminAddr+path, nil)
		require.NoError(t, err)
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := (&http.Client{Timeout: callTimeout}).Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, body
	}

	code, body := get("/debug/pprof/", "", "")
	require.Equal(t, http.StatusUnauthorized, code, "%s", body)
	code, body = get("/debug/pprof/", "monitor", "wrong")
	require.Equal(t, http.StatusUnauthorized, code, "%s", body)
	code, body = get("/debug/pprof/goroutine?debug=1", "nobody", "nobody-pw")
	require.Equal(t, http.StatusForbidden, code, "%s", body)
	require.Contains(t, string(body), "PROCESS")

	code, body = get("/debug/pprof/", "monitor", "mon-pw")
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.Contains(t, string(body), "goroutine")
	code, body = get("/debug/pprof/goroutine?debug=1", "operator", "op-pw")
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.Contains(t, string(body), "goroutine profile")

	// A one-second CPU profile is a gzipped protobuf (what go tool pprof
	// reads).
	code, body = get("/debug/pprof/profile?seconds=1", "monitor", "mon-pw")
	require.Equal(t, http.StatusOK, code, "%s", body)
	zr, err := gzip.NewReader(bytes.NewReader(body))
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.NotEmpty(t, raw)
}
