package acceptance

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/testutil"
)

// openTLS opens a *sql.DB for user over TLS with the registered config
// name, closed at test end.
func openTLS(t testing.TB, user, password, addr, tlsName string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", testutil.DSN(user, password, addr, "")+"&tls="+tlsName)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestTLSWithCertificateFiles(t *testing.T) {
	certs := testutil.NewTestCerts(t)
	tlsName := testutil.RegisterClientTLS(t, &tls.Config{RootCAs: certs.Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
	addr, root := testutil.StartServer(t,
		testutil.WithConfig(func(c *config.Config) {
			c.TLSCert, c.TLSKey = certs.CertFile, certs.KeyFile
			c.RequireSecureTransport = true
		}),
		testutil.WithDSNParams("tls="+tlsName))

	t.Run("root over TLS", func(t *testing.T) {
		require.Equal(t, "1", queryValue(t, root, "SELECT @@require_secure_transport"))
		require.Equal(t, []string{"YES", "YES"}, queryRows(t, root, "SELECT @@have_ssl, @@have_openssl")[0])
		require.Equal(t, "root@localhost", queryValue(t, root, "SELECT CURRENT_USER()"))
		c := conn(t, root)
		rows := queryRows(t, c, "SHOW STATUS WHERE Variable_name IN ('Ssl_cipher', 'Ssl_version')")
		require.Len(t, rows, 2)
		require.Equal(t, "Ssl_cipher", rows[0][0])
		require.Contains(t, rows[0][1], "TLS_")
		require.Equal(t, []string{"Ssl_version", "TLSv1.3"}, rows[1])
	})

	t.Run("insecure login refused with 3159", func(t *testing.T) {
		plain := openAs(t, "root", "", addr, "")
		err := plain.Ping()
		requireErrCode(t, err, 3159)
		require.Contains(t, err.Error(), "require_secure_transport")
	})

	t.Run("caching_sha2_password over TLS", func(t *testing.T) {
		mustExec(t, root, "CREATE USER 'sha'@'%' IDENTIFIED WITH caching_sha2_password BY 'pw'")
		mustExec(t, root, "GRANT SELECT ON *.* TO 'sha'@'%'")
		for i := range 3 {
			// Fresh connections: guocedb keeps no cache of verified
			// passwords, so each one runs the full caching_sha2 exchange.
			db := openTLS(t, "sha", "pw", addr, tlsName)
			db.SetMaxIdleConns(0)
			require.Equal(t, "sha@%", queryValue(t, db, "SELECT CURRENT_USER()"), "login %d", i)
			require.NoError(t, db.Close())
		}
		bad := openTLS(t, "sha", "wrong", addr, tlsName)
		requireErrCode(t, bad.Ping(), 1045)
	})

	t.Run("client checks the server certificate", func(t *testing.T) {
		other := testutil.NewTestCerts(t) // a CA the server's certificate does not come from
		name := testutil.RegisterClientTLS(t, &tls.Config{RootCAs: other.Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
		db := openTLS(t, "root", "", addr, name)
		err := db.Ping()
		require.Error(t, err)
		var unknown x509.UnknownAuthorityError
		require.True(t, errors.As(err, &unknown), "want an unknown-authority error, got %v", err)
	})
}

func TestTLSOptionalByDefault(t *testing.T) {
	certs := testutil.NewTestCerts(t)
	tlsName := testutil.RegisterClientTLS(t, &tls.Config{RootCAs: certs.Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
	addr, root := testutil.StartServer(t, testutil.WithConfig(func(c *config.Config) {
		c.TLSCert, c.TLSKey = certs.CertFile, certs.KeyFile
	}))
	require.Equal(t, "0", queryValue(t, root, "SELECT @@require_secure_transport"))
	// Both kinds of client log in; only the TLS one runs caching_sha2's
	// full exchange, which needs a secure channel.
	mustExec(t, root, "CREATE USER 'sha2'@'%' IDENTIFIED WITH caching_sha2_password BY 'pw'")
	require.Equal(t, "sha2@%", queryValue(t, openTLS(t, "sha2", "pw", addr, tlsName), "SELECT CURRENT_USER()"))
	require.Error(t, openAs(t, "sha2", "pw", addr, "").Ping(), "caching_sha2 full login without TLS")
	require.Equal(t, "root@localhost", queryValue(t, openAs(t, "root", "", addr, ""), "SELECT CURRENT_USER()"))
}

func TestTLSAutoGenerate(t *testing.T) {
	dir := t.TempDir()
	var (
		mu   sync.Mutex
		seen [][]byte // server certificates the client saw, in order
	)
	name := testutil.RegisterClientTLS(t, &tls.Config{
		// The generated certificate is self-signed: the test checks it is
		// the one on disk instead of trusting a CA.
		InsecureSkipVerify: true, //nolint:gosec // verified below against the file
		MinVersion:         tls.VersionTLS12,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, raw[0])
			return nil
		},
	})
	autoTLS := testutil.WithConfig(func(c *config.Config) { c.TLSAutoGenerate, c.RequireSecureTransport = true, true })
	certFile := filepath.Join(dir, "tls", "server-cert.pem")
	keyFile := filepath.Join(dir, "tls", "server-key.pem")
	var first []byte
	phase(t, dir, "first start generates", func(t *testing.T, _ string, db *sql.DB) {
		_ = db // plain client: refused, the TLS one is used below
		st, err := os.Stat(keyFile)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "key file mode")
		first, err = os.ReadFile(certFile)
		require.NoError(t, err)
	}, autoTLS, testutil.WithDSNParams("tls="+name))
	phase(t, dir, "restart reuses", func(t *testing.T, _ string, _ *sql.DB) {
		again, err := os.ReadFile(certFile)
		require.NoError(t, err)
		require.Equal(t, first, again)
	}, autoTLS, testutil.WithDSNParams("tls="+name))

	block, _ := pem.Decode(first)
	require.NotNil(t, block)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, seen)
	for _, raw := range seen {
		require.True(t, bytes.Equal(block.Bytes, raw), "the server presented a certificate other than %s", certFile)
	}
}

func TestHaveSSLWithoutTLS(t *testing.T) {
	_, root := start(t)
	require.Equal(t, []string{"DISABLED", "DISABLED"}, queryRows(t, root, "SELECT @@have_ssl, @@have_openssl")[0])
	require.Equal(t, [][]string{{"have_ssl", "DISABLED"}}, queryRows(t, root, "SHOW GLOBAL VARIABLES LIKE 'have_ssl'"))
}

// TestTLSMinVersion checks the TLS floor (tls-min-version): TLS 1.2 by
// default, a client offering only TLS 1.1 is refused during the
// handshake, and @@tls_version lists exactly what is accepted.
func TestTLSMinVersion(t *testing.T) {
	certs := testutil.NewTestCerts(t)
	only := func(lo, hi uint16) string {
		return testutil.RegisterClientTLS(t, &tls.Config{RootCAs: certs.Pool, ServerName: "localhost",
			MinVersion: lo, MaxVersion: hi}) //nolint:gosec // the old versions are what the test offers
	}
	tls11, tls12, tls13 := only(tls.VersionTLS10, tls.VersionTLS11), only(tls.VersionTLS12, tls.VersionTLS12), only(tls.VersionTLS13, tls.VersionTLS13)

	t.Run("default floor TLSv1.2", func(t *testing.T) {
		addr, root := testutil.StartServer(t, testutil.WithConfig(func(c *config.Config) {
			c.TLSCert, c.TLSKey = certs.CertFile, certs.KeyFile
		}))
		require.Equal(t, "TLSv1.2,TLSv1.3", queryValue(t, root, "SELECT @@tls_version"))
		_, err := root.Exec("SET GLOBAL tls_version = 'TLSv1,TLSv1.1'")
		require.Error(t, err, "tls_version is read-only")
		require.Equal(t, "TLSv1.2,TLSv1.3", queryValue(t, root, "SELECT @@GLOBAL.tls_version"))

		err = openTLS(t, "root", "", addr, tls11).Ping()
		require.Error(t, err, "a TLS 1.1 client must be refused")
		require.Contains(t, err.Error(), "protocol version")
		for name, cfg := range map[string]string{"TLSv1.2": tls12, "TLSv1.3": tls13} {
			c := conn(t, openTLS(t, "root", "", addr, cfg))
			rows := queryRows(t, c, "SHOW STATUS LIKE 'Ssl_version'")
			require.Equal(t, []string{"Ssl_version", name}, rows[0])
		}
	})

	t.Run("floor TLSv1.3", func(t *testing.T) {
		addr, root := testutil.StartServer(t, testutil.WithConfig(func(c *config.Config) {
			c.TLSCert, c.TLSKey = certs.CertFile, certs.KeyFile
			c.TLSMinVersion = "TLSv1.3"
		}))
		require.Equal(t, "TLSv1.3", queryValue(t, root, "SELECT @@tls_version"))
		require.Error(t, openTLS(t, "root", "", addr, tls12).Ping(), "a TLS 1.2 client must be refused")
		require.NoError(t, openTLS(t, "root", "", addr, tls13).Ping())
	})
}
