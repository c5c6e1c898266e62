package acceptance

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/testutil"
)

// TestAuditFailedLogins: every refused login is in the audit log with the
// MySQL error the client got: 1045 wrong password, 3118 locked account,
// 3955 blocked by failed logins, 3159 TLS required.
func TestAuditFailedLogins(t *testing.T) {
	certs := testutil.NewTestCerts(t)
	tlsName := testutil.RegisterClientTLS(t, &tls.Config{RootCAs: certs.Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	addr, _ := testutil.StartServer(t, testutil.WithConfig(func(c *config.Config) {
		c.AuditLog = logPath
		c.TLSCert, c.TLSKey = certs.CertFile, certs.KeyFile
		c.RequireSecureTransport = true
	}), testutil.WithDSNParams("tls="+tlsName))
	root := openTLS(t, "root", "", addr, tlsName)
	mustExec(t, root, "CREATE USER 'locked'@'%' IDENTIFIED BY 'pw' ACCOUNT LOCK")
	mustExec(t, root, "CREATE USER 'once'@'%' IDENTIFIED BY 'pw' FAILED_LOGIN_ATTEMPTS 1 PASSWORD_LOCK_TIME 1")
	tlsLogin := func(user, pw string) error {
		db := openTLS(t, user, pw, addr, tlsName)
		err := db.Ping()
		_ = db.Close()
		return err
	}
	requireErrCode(t, tlsLogin("locked", "pw"), 3118)
	requireErrCode(t, tlsLogin("once", "bad"), 3955)
	requireErrCode(t, tlsLogin("nobody", "x"), 1045)
	requireErrCode(t, login(t, addr, "root", ""), 3159, "without TLS")

	f, err := os.Open(logPath)
	require.NoError(t, err)
	defer f.Close()
	got := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r struct {
			Event, User string
			Status      int
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		if r.Event == "connect" && r.Status != 0 {
			got[r.User] = r.Status
		}
	}
	require.Equal(t, map[string]int{"locked": 3118, "once": 3955, "nobody": 1045, "root": 3159}, got)
}
