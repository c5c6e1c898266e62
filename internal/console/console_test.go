package console_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/adminclient"
	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/testutil"
)

// client is a browser-like HTTP client of one console: a cookie jar and
// the CSRF token of its login.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func newClient(t *testing.T, httpAddr string) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, base: "http://" + httpAddr, hc: &http.Client{Jar: jar}}
}

func (c *client) do(method, path string, body any, hdr map[string]string) (int, map[string]any, http.Header) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.hc.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	var out map[string]any
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		require.NoError(c.t, json.Unmarshal(raw, &out), string(raw))
	}
	return res.StatusCode, out, res.Header
}

func (c *client) login(user, password string) (int, map[string]any) {
	code, out, _ := c.do("POST", "/ui/api/login", map[string]string{"user": user, "password": password}, nil)
	if code == http.StatusOK {
		c.csrf = out["csrf_token"].(string)
	}
	return code, out
}

func startConsole(t *testing.T) (string, *sql.DB) {
	var httpAddr string
	_, db := testutil.StartServer(t, testutil.WithHTTPAddr(&httpAddr))
	for _, q := range []string{
		"CREATE USER 'monitor'@'%' IDENTIFIED WITH mysql_native_password BY 'mon-pw'",
		"GRANT PROCESS ON *.* TO 'monitor'@'%'",
		"CREATE USER 'app'@'%' IDENTIFIED WITH mysql_native_password BY 'app-pw'",
		"GRANT SELECT ON *.* TO 'app'@'%'",
		"CREATE USER 'ops'@'%' IDENTIFIED WITH mysql_native_password BY 'ops-pw'",
		"GRANT SUPER ON *.* TO 'ops'@'%'",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	return httpAddr, db
}

// TestConsoleLoginAndPrivileges: logged out by default; only accounts
// with PROCESS (or SUPER) log in; kills need SUPER or CONNECTION_ADMIN;
// every action needs the session's CSRF token; the cookie is HttpOnly and
// SameSite=Strict; logout ends the session on the server.
func TestConsoleLoginAndPrivileges(t *testing.T) {
	addr, _ := startConsole(t)

	anon := newClient(t, addr)
	code, _, hdr := anon.do("GET", "/ui/", nil, nil)
	require.Equal(t, http.StatusOK, code)
	csp := hdr.Get("Content-Security-Policy")
	require.Contains(t, csp, "script-src 'self'")
	require.NotContains(t, csp, "unsafe-inline")
	require.Equal(t, "nosniff", hdr.Get("X-Content-Type-Options"))
	for _, p := range []string{"/ui/api/overview", "/ui/api/sessions", "/ui/api/statements", "/ui/api/slow", "/ui/api/tables", "/ui/api/backups", "/ui/api/locks", "/ui/api/cluster", "/ui/api/session"} {
		code, _, _ = anon.do("GET", p, nil, nil)
		require.Equal(t, http.StatusUnauthorized, code, p)
	}
	code, _, _ = anon.do("POST", "/ui/api/sessions/kill", map[string]any{"id": 1}, nil)
	require.Equal(t, http.StatusUnauthorized, code)

	code, out := anon.login("monitor", "wrong")
	require.Equal(t, http.StatusUnauthorized, code)
	require.Contains(t, out["error"], "access denied")
	code, out = anon.login("app", "app-pw")
	require.Equal(t, http.StatusForbidden, code, "an account without PROCESS")
	require.Contains(t, out["error"], "PROCESS")

	mon := newClient(t, addr)
	code, out = mon.login("monitor", "mon-pw")
	require.Equal(t, http.StatusOK, code, out)
	require.Equal(t, false, out["can_kill"])
	code, out, _ = mon.do("GET", "/ui/api/overview", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "test", out["version"])
	require.Contains(t, out, "live")
	code, _, _ = mon.do("POST", "/ui/api/sessions/kill", map[string]any{"id": 1}, nil)
	require.Equal(t, http.StatusForbidden, code, "PROCESS cannot kill")

	ops := newClient(t, addr)
	code, out = ops.login("ops", "ops-pw")
	require.Equal(t, http.StatusOK, code, out)
	require.Equal(t, true, out["can_kill"])
	token := ops.csrf
	ops.csrf = ""
	code, out, _ = ops.do("POST", "/ui/api/sessions/kill", map[string]any{"id": 999999}, nil)
	require.Equal(t, http.StatusForbidden, code, "no CSRF token")
	require.Contains(t, out["error"], "CSRF")
	ops.csrf = "forged"
	code, _, _ = ops.do("POST", "/ui/api/sessions/kill", map[string]any{"id": 999999}, nil)
	require.Equal(t, http.StatusForbidden, code, "wrong CSRF token")
	ops.csrf = token
	code, out, _ = ops.do("POST", "/ui/api/sessions/kill", map[string]any{"id": 999999}, nil)
	require.Equal(t, http.StatusNotFound, code, out)
	// A cross-site request is refused even with the right token (the
	// browser would not have it; Sec-Fetch-Site tells).
	code, _, _ = ops.do("POST", "/ui/api/sessions/kill", map[string]any{"id": 999999}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	require.Equal(t, http.StatusForbidden, code)

	// The cookie's attributes.
	req, err := http.NewRequest("POST", "http://"+addr+"/ui/api/login", strings.NewReader(`{"user":"ops","password":"ops-pw"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = res.Body.Close()
	cookie := res.Header.Get("Set-Cookie")
	require.Contains(t, cookie, "HttpOnly")
	require.Contains(t, cookie, "SameSite=Strict")
	require.Contains(t, cookie, "Path=/ui/")
	require.NotContains(t, cookie, "Secure", "no TLS here")

	// A login form posted from another site (no JSON) is refused.
	req, err = http.NewRequest("POST", "http://"+addr+"/ui/api/login", strings.NewReader("user=ops&password=ops-pw"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusUnsupportedMediaType, res.StatusCode)

	code, _, _ = ops.do("POST", "/ui/api/logout", map[string]any{}, nil)
	require.Equal(t, http.StatusOK, code)
	code, _, _ = ops.do("GET", "/ui/api/overview", nil, nil)
	require.Equal(t, http.StatusUnauthorized, code)
}

// TestConsoleRevokeTakesEffect: privileges are checked on every request,
// not only at login.
func TestConsoleRevokeTakesEffect(t *testing.T) {
	addr, db := startConsole(t)
	mon := newClient(t, addr)
	code, _ := mon.login("monitor", "mon-pw")
	require.Equal(t, http.StatusOK, code)
	code, _, _ = mon.do("GET", "/ui/api/sessions", nil, nil)
	require.Equal(t, http.StatusOK, code)
	_, err := db.Exec("REVOKE PROCESS ON *.* FROM 'monitor'@'%'")
	require.NoError(t, err)
	code, _, _ = mon.do("GET", "/ui/api/sessions", nil, nil)
	require.Equal(t, http.StatusForbidden, code)
}

// TestConsolePages: the pages' data over the wire: statements are
// normalized digests, slow queries are searchable, tables have rows.
func TestConsolePages(t *testing.T) {
	var httpAddr string
	_, db := testutil.StartServer(t, testutil.WithHTTPAddr(&httpAddr), testutil.WithConfig(func(c *config.Config) {
		c.SlowQueryTime = 0
	}))
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		"CREATE DATABASE shop", "USE shop",
		"CREATE TABLE items (id INT PRIMARY KEY, title VARCHAR(20))",
		"INSERT INTO items VALUES (1, 'apple'), (2, 'pear')",
		"SELECT title FROM items WHERE id = 1",
		"SELECT title FROM items WHERE id = 2",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	c := newClient(t, httpAddr)
	code, _ := c.login("root", "")
	require.Equal(t, http.StatusOK, code)

	code, out, _ := c.do("GET", "/ui/api/statements?q=items", nil, nil)
	require.Equal(t, http.StatusOK, code)
	var found bool
	for _, s := range out["statements"].([]any) {
		row := s.(map[string]any)
		if row["digest_text"] == "SELECT `title` FROM `items` WHERE `id` = ?" {
			found = true
			require.Equal(t, float64(2), row["count"])
			require.Equal(t, "shop", row["schema"])
		}
		require.NotContains(t, row["digest_text"], "apple")
	}
	require.True(t, found, out)

	code, out, _ = c.do("GET", "/ui/api/slow?q=PEAR", nil, nil)
	require.Equal(t, http.StatusOK, code)
	entries := out["entries"].([]any)
	require.Len(t, entries, 1, "one logged statement mentions pear")
	require.Contains(t, entries[0].(map[string]any)["query"], "'pear'")

	code, out, _ = c.do("GET", "/ui/api/tables", nil, nil)
	require.Equal(t, http.StatusOK, code, out)
	tables := out["tables"].([]any)
	require.Len(t, tables, 1)
	require.Equal(t, map[string]any{"database": "shop", "table": "items", "rows": float64(2), "rows_exact": true,
		"data_bytes": tables[0].(map[string]any)["data_bytes"]}, tables[0])

	code, out, _ = c.do("GET", "/ui/api/backups", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Empty(t, out["backups"])
}

// TestConsoleBackups: an online backup through the admin API shows on the
// backups page with its size and outcome, and in guocedb_backups_total and
// guocedb_last_backup_success_timestamp_seconds.
func TestConsoleBackups(t *testing.T) {
	var httpAddr, adminAddr string
	_, db := testutil.StartServer(t, testutil.WithHTTPAddr(&httpAddr), testutil.WithAdminAddr(&adminAddr))
	_, err := db.Exec("CREATE DATABASE b")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var buf bytes.Buffer
	before := time.Now().UTC()
	require.NoError(t, adminclient.Backup(ctx, adminAddr, adminclient.Credentials{User: "root"}, adminclient.BackupBase{}, &buf))

	c := newClient(t, httpAddr)
	code, _ := c.login("root", "")
	require.Equal(t, http.StatusOK, code)
	code, out, _ := c.do("GET", "/ui/api/backups", nil, nil)
	require.Equal(t, http.StatusOK, code)
	list := out["backups"].([]any)
	require.Len(t, list, 1)
	b := list[0].(map[string]any)
	require.Equal(t, "full", b["kind"])
	require.Equal(t, float64(buf.Len()), b["bytes"])
	require.NotContains(t, b, "error")

	res, err := http.Get("http://" + httpAddr + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), `guocedb_backups_total{outcome="completed"} 1`)
	var last float64
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "guocedb_last_backup_success_timestamp_seconds "); ok {
			last, err = strconv.ParseFloat(v, 64)
			require.NoError(t, err)
		}
	}
	require.GreaterOrEqual(t, last, float64(before.Unix()))
}

// TestConsoleLocks: a blocked UPDATE shows on the locks page with both
// sessions, the table, the index and the key; the counters count it.
func TestConsoleLocks(t *testing.T) {
	httpAddr, db := startConsole(t)
	ctx := context.Background()
	for _, q := range []string{"CREATE DATABASE shop", "CREATE TABLE shop.items (id INT PRIMARY KEY, n INT)", "INSERT INTO shop.items VALUES (1, 0)"} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	a, err := db.Conn(ctx)
	require.NoError(t, err)
	defer a.Close()
	b, err := db.Conn(ctx)
	require.NoError(t, err)
	defer b.Close()
	var aID, bID float64
	require.NoError(t, a.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&aID))
	require.NoError(t, b.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&bID))
	_, err = a.ExecContext(ctx, "BEGIN")
	require.NoError(t, err)
	_, err = a.ExecContext(ctx, "UPDATE shop.items SET n = 1 WHERE id = 1")
	require.NoError(t, err)
	blocked := make(chan error, 1)
	go func() {
		_, err := b.ExecContext(ctx, "UPDATE shop.items SET n = 2 WHERE id = 1")
		blocked <- err
	}()

	c := newClient(t, httpAddr)
	code, _ := c.login("monitor", "mon-pw")
	require.Equal(t, http.StatusOK, code)
	var out map[string]any
	require.Eventually(t, func() bool {
		code, out, _ = c.do("GET", "/ui/api/locks", nil, nil)
		return code == http.StatusOK && len(out["waits"].([]any)) == 1
	}, 10*time.Second, 20*time.Millisecond)
	w := out["waits"].([]any)[0].(map[string]any)
	require.Equal(t, bID, w["waiting"])
	require.Equal(t, aID, w["blocking"])
	require.Equal(t, "shop", w["schema"])
	require.Equal(t, "items", w["table"])
	require.Equal(t, "PRIMARY", w["index"])
	require.Equal(t, "1", w["data"])
	require.Equal(t, "X,REC_NOT_GAP", w["mode"])
	require.Equal(t, float64(1), out["current_waits"])
	require.GreaterOrEqual(t, out["held"], float64(1))

	_, err = a.ExecContext(ctx, "COMMIT")
	require.NoError(t, err)
	require.NoError(t, <-blocked)
	code, out, _ = c.do("GET", "/ui/api/locks", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Empty(t, out["waits"])
	require.GreaterOrEqual(t, out["waits_total"], float64(1))
	require.Equal(t, "", out["latest_deadlock"])

	// A single node has no cluster section.
	code, out, _ = c.do("GET", "/ui/api/cluster", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Nil(t, out["cluster"])
}

// TestConsoleCluster: on a member of a three-member cluster the cluster
// page's data names the member, the leader, the term and every peer.
func TestConsoleCluster(t *testing.T) {
	nodes := testutil.StartCluster(t, testutil.BuildBinary(t), 3)
	leader := testutil.FindLeader(nodes, func(int) bool { return true }, time.Minute)
	require.GreaterOrEqual(t, leader, 0, "a leader")
	c := newClient(t, nodes[leader].P.HTTPAddr)
	code, _ := c.login("root", "")
	require.Equal(t, http.StatusOK, code)
	var cl map[string]any
	require.Eventually(t, func() bool {
		code, out, _ := c.do("GET", "/ui/api/cluster", nil, nil)
		if code != http.StatusOK || out["cluster"] == nil {
			return false
		}
		cl = out["cluster"].(map[string]any)
		return cl["role"] == "leader" && cl["writable"] == true
	}, time.Minute, 100*time.Millisecond)
	require.Equal(t, nodes[leader].ID, cl["node_id"])
	require.Equal(t, nodes[leader].ID, cl["leader"])
	require.Positive(t, cl["term"])
	peers := cl["peers"].([]any)
	require.Len(t, peers, 2)
	for _, p := range peers {
		require.NotEqual(t, nodes[leader].ID, p.(map[string]any)["node_id"])
	}
}

func TestMain(m *testing.M) { os.Exit(testutil.RunMain(m)) }
