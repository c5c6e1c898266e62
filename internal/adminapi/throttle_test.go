package adminapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRepeatedBadLoginsThrottled: after five consecutive wrong passwords
// of one user from one host, the admin API answers 429 with Retry-After
// without checking credentials (the right password included) until the
// wait is over; other users are not affected.
func TestRepeatedBadLoginsThrottled(t *testing.T) {
	f := startFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_, err := f.root.ExecContext(ctx, "CREATE USER 'guess'@'localhost' IDENTIFIED BY 'right'")
	require.NoError(t, err)
	_, err = f.root.ExecContext(ctx, "GRANT PROCESS ON *.* TO 'guess'@'localhost'")
	require.NoError(t, err)

	post := func(user, password string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, "http://"+f.adminAddr+"/guocedb.admin.v1.AdminService/Status", bytes.NewBufferString("{}"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
		resp, err := (&http.Client{Timeout: callTimeout}).Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp
	}
	require.Equal(t, 200, post("guess", "right").StatusCode)
	for i := range 5 {
		require.Equal(t, 401, post("guess", "wrong").StatusCode, "failure %d", i+1)
	}
	resp := post("guess", "right")
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the right password while throttled")
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q", resp.Header.Get("Retry-After"))
	require.GreaterOrEqual(t, secs, 1)
	require.Equal(t, 200, post("monitor", "mon-pw").StatusCode, "another user is not throttled")
}
