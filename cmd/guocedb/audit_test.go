package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestAuditLog runs the real binary with an audit log and checks what a
// session leaves in it: logins (failed ones with their code), statements
// with their class and status, admin API calls with the caller, no
// password anywhere (audit log, slow log, process output), the last seq
// as a metric, and `guocedb audit verify` before and after tampering.
func TestAuditLog(t *testing.T) {
	bin := testutil.BuildBinary(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "logs", "audit.jsonl")
	// Debug logging: go-mysql-server then logs every statement.
	p := testutil.StartProcess(t, bin, dir, "--audit-log", logPath, "--slow-query-time", "0", "--log-level", "debug")

	root, err := sql.Open("mysql", testutil.DSN("root", "", p.MySQLAddr, ""))
	require.NoError(t, err)
	defer root.Close()
	exec := func(q string) error { _, err := root.Exec(q); return err }
	require.NoError(t, exec("CREATE DATABASE aud"))
	require.NoError(t, exec("CREATE TABLE aud.t (id INT PRIMARY KEY)"))
	require.NoError(t, exec("INSERT INTO aud.t VALUES (1)"))
	require.NoError(t, exec("CREATE USER 'app'@'%' IDENTIFIED BY 's3cr3t-create' FAILED_LOGIN_ATTEMPTS 5 PASSWORD_LOCK_TIME 1"))
	require.NoError(t, exec("ALTER USER 'app'@'%' IDENTIFIED BY 's3cr3t-alter'"))
	require.Error(t, exec("CREATE USER 'broken'@'%' IDENTIFIED BY 's3cr3t-unparsed' garbage ((("), "a statement that does not parse")
	require.NoError(t, exec("GRANT SELECT ON aud.* TO 'app'@'%'"))
	var n int
	require.NoError(t, root.QueryRow("SELECT COUNT(*) FROM aud.t").Scan(&n))

	bad, err := sql.Open("mysql", testutil.DSN("app", "wrong", p.MySQLAddr, ""))
	require.NoError(t, err)
	require.Error(t, bad.Ping())
	require.NoError(t, bad.Close())

	// One admin API call with bad credentials, one without privilege.
	for _, cred := range []string{"app:wrong", "app:s3cr3t-alter"} {
		req, err := http.NewRequest(http.MethodPost, "http://"+p.AdminAddr+"/guocedb.admin.v1.AdminService/Status", strings.NewReader("{}"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
	}

	resp, err := http.Get("http://" + p.HTTPAddr + "/metrics")
	require.NoError(t, err)
	metricsText, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.NoError(t, root.Close())
	p.Stop()

	raw, err := os.ReadFile(logPath)
	require.NoError(t, err)
	type rec struct {
		Seq    uint64 `json:"seq"`
		Event  string `json:"event"`
		Class  string `json:"class"`
		User   string `json:"user"`
		Host   string `json:"host"`
		DB     string `json:"db"`
		Status int    `json:"status"`
		Query  string `json:"query"`
		TS     string `json:"ts"`
	}
	var recs []rec
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var r rec
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), sc.Text())
		require.Equal(t, uint64(len(recs)+1), r.Seq, "no gaps")
		require.NotEmpty(t, r.TS)
		recs = append(recs, r)
	}
	find := func(pred func(rec) bool) rec {
		t.Helper()
		for _, r := range recs {
			if pred(r) {
				return r
			}
		}
		t.Fatalf("no such record in:\n%s", raw)
		return rec{}
	}
	find(func(r rec) bool {
		return r.Event == "connect" && r.User == "root" && r.Status == 0 && r.Host == "127.0.0.1"
	})
	find(func(r rec) bool { return r.Event == "connect" && r.User == "app" && r.Status == 1045 })
	find(func(r rec) bool { return r.Event == "disconnect" && r.User == "root" })
	find(func(r rec) bool {
		return r.Class == "ddl" && strings.HasPrefix(r.Query, "CREATE TABLE aud.t") && r.Status == 0
	})
	find(func(r rec) bool { return r.Class == "dml" && strings.HasPrefix(r.Query, "INSERT INTO aud.t") })
	find(func(r rec) bool { return r.Class == "select" && strings.Contains(r.Query, "COUNT(*)") })
	find(func(r rec) bool {
		return r.Class == "dcl" && r.Query == "CREATE USER 'app'@'%' IDENTIFIED BY '***' FAILED_LOGIN_ATTEMPTS 5 PASSWORD_LOCK_TIME 1"
	})
	find(func(r rec) bool { return r.Class == "dcl" && r.Status == 1064 && strings.Contains(r.Query, "garbage") })
	find(func(r rec) bool { return r.Class == "dcl" && strings.HasPrefix(r.Query, "GRANT SELECT") })
	find(func(r rec) bool {
		return r.Class == "admin" && r.User == "app" && r.Status == 1045 && r.Query == "admin API Status"
	})
	find(func(r rec) bool { return r.Class == "admin" && r.User == "app" && r.Status == 1227 })

	slow, err := os.ReadFile(filepath.Join(dir, "slow.log"))
	require.NoError(t, err)
	for name, text := range map[string]string{"audit log": string(raw), "slow log": string(slow), "server output": p.Output()} {
		for _, secret := range []string{"s3cr3t-create", "s3cr3t-alter", "s3cr3t-unparsed"} {
			require.NotContains(t, text, secret, "%s shows a password", name)
		}
	}
	require.Contains(t, p.Output(), "IDENTIFIED BY '***'", "the debug log shows statements, masked")
	require.Contains(t, string(metricsText), "guocedb_audit_last_seq ")
	st, err := os.Stat(logPath)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	code, out := testutil.Run(t, bin, nil, "audit", "verify", "--data-dir", dir, logPath)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "records intact")

	lines := strings.SplitAfter(string(raw), "\n")
	edited := strings.Join(lines[:4], "") + strings.Replace(lines[4], `"status":0`, `"status":1`, 1) + strings.Join(lines[5:], "")
	require.NotEqual(t, string(raw), edited)
	tampered := filepath.Join(dir, "tampered.jsonl")
	require.NoError(t, os.WriteFile(tampered, []byte(edited), 0o600))
	code, out = testutil.Run(t, bin, nil, "audit", "verify", "--data-dir", dir, tampered)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "seq 5")

	require.NoError(t, os.WriteFile(tampered, []byte(strings.Join(lines[:6], "")+strings.Join(lines[7:], "")), 0o600))
	code, out = testutil.Run(t, bin, nil, "audit", "verify", "--data-dir", dir, tampered)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "seq 8", "the record after the deleted seq 7")
}
