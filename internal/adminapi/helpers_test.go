package adminapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// callTimeout bounds every client call of these tests.
const callTimeout = 20 * time.Second

// Accounts the tests create, each with the privileges its name says.
var accounts = []struct {
	user, password, create string
	grants                 []string
}{
	{"monitor", "mon-pw", "IDENTIFIED BY 'mon-pw'", []string{"PROCESS"}},
	{"sha_monitor", "sha-pw", "IDENTIFIED WITH caching_sha2_password BY 'sha-pw'", []string{"PROCESS"}},
	{"nobody", "nobody-pw", "IDENTIFIED BY 'nobody-pw'", nil},
	{"operator", "op-pw", "IDENTIFIED BY 'op-pw'", []string{"SUPER"}},
	{"cloner", "clone-pw", "IDENTIFIED BY 'clone-pw'", []string{"CLONE_ADMIN"}},
}

// fixture is an in-process guocedb with the accounts above.
type fixture struct {
	mysqlAddr string
	adminAddr string
	root      *sql.DB
}

func startFixture(t testing.TB, opts ...testutil.ServerOption) fixture {
	t.Helper()
	var f fixture
	f.mysqlAddr, f.root = testutil.StartServer(t, append(opts, testutil.WithAdminAddr(&f.adminAddr))...)
	require.NotEmpty(t, f.adminAddr, "admin listener bound")
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	for _, a := range accounts {
		_, err := f.root.ExecContext(ctx, "CREATE USER '"+a.user+"'@'localhost' "+a.create)
		require.NoError(t, err, a.user)
		for _, g := range a.grants {
			_, err := f.root.ExecContext(ctx, "GRANT "+g+" ON *.* TO '"+a.user+"'@'localhost'")
			require.NoError(t, err, "%s: GRANT %s", a.user, g)
		}
	}
	return f
}

// postJSON sends a Connect-protocol JSON request, as curl -u user:pw -H
// 'Content-Type: application/json' -d BODY would, and returns the status
// and decoded body.
func postJSON(t *testing.T, addr, procedure, user, password, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/guocedb.admin.v1.AdminService/"+procedure, bytes.NewBufferString(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
	}
	client := &http.Client{Timeout: callTimeout}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	return resp.StatusCode, out
}

// waitFor polls cond every 50ms until it holds or d has passed.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
