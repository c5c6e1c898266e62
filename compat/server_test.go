package compat

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// The account every client script logs in with: a password login by a
// user created over SQL, as applications do, not root.
const (
	compatUser     = "compat"
	compatPassword = "compat-Pw1"
	compatDB       = "compat"
)

// server is one fresh guocedb process for one client.
type server struct {
	proc *testutil.Process
	host string
	port string
	// tls is true when the server was started with a certificate; caFile
	// then holds the CA that signed it (PEM).
	tls    bool
	caFile string
	// root is a go-sql-driver connection as root.
	root *sql.DB
}

// startServer builds the binary once, starts it on a fresh data directory
// (with TLS when the binary has the --tls-cert flag), creates the compat
// account and database, and loads testdata/types.sql when withTypes.
func startServer(t *testing.T, withTypes bool) *server {
	t.Helper()
	bin := testutil.BuildBinary(t)
	s := &server{}
	var args []string
	if hasTLSFlags(t, bin) {
		dir := t.TempDir()
		var certFile, keyFile string
		s.caFile, certFile, keyFile = writeTestPKI(t, dir)
		args = append(args, "--tls-cert", certFile, "--tls-key", keyFile)
		s.tls = true
	}
	s.proc = testutil.StartProcess(t, bin, t.TempDir(), args...)
	var err error
	s.host, s.port, err = net.SplitHostPort(s.proc.MySQLAddr)
	require.NoError(t, err)
	// Plain text results (no parseTime): tables compare byte for byte.
	s.root, err = sql.Open("mysql", "root:@tcp("+s.proc.MySQLAddr+")/?multiStatements=true")
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.root.Close() })
	for _, q := range []string{
		"CREATE USER '" + compatUser + "'@'%' IDENTIFIED BY '" + compatPassword + "'",
		"GRANT ALL ON *.* TO '" + compatUser + "'@'%'",
		"CREATE DATABASE " + compatDB,
	} {
		_, err := s.root.Exec(q)
		require.NoError(t, err, q)
	}
	if withTypes {
		body, err := os.ReadFile(filepath.Join("testdata", "types.sql"))
		require.NoError(t, err)
		_, err = s.root.Exec("USE " + compatDB + ";\n" + string(body))
		require.NoError(t, err, "load testdata/types.sql")
	}
	return s
}

// env is what every client script reads: where to connect and as whom.
func (s *server) env() []string {
	tls := "0"
	if s.tls {
		tls = "1"
	}
	return []string{
		"COMPAT_HOST=" + s.host,
		"COMPAT_PORT=" + s.port,
		"COMPAT_USER=" + compatUser,
		"COMPAT_PASSWORD=" + compatPassword,
		"COMPAT_DB=" + compatDB,
		"COMPAT_TLS=" + tls,
		"COMPAT_CA=" + s.caFile,
	}
}

// tlsProbe caches whether the binary under test has the TLS flags.
var tlsProbe struct {
	once sync.Once
	has  bool
}

// hasTLSFlags reports whether `guocedb serve` takes --tls-cert. The TLS
// checks need the server's certificate flags; a binary without them runs
// the other checks, and the TLS checks skip with that reason.
func hasTLSFlags(t *testing.T, bin string) bool {
	t.Helper()
	tlsProbe.once.Do(func() {
		_, out := testutil.Run(t, bin, nil, "serve", "--help")
		tlsProbe.has = strings.Contains(out, "tls-cert")
	})
	return tlsProbe.has
}

// requireTLS skips a TLS check against a server started without TLS.
func (s *server) requireTLS(t *testing.T) {
	t.Helper()
	if !s.tls {
		t.Skip("known gap: this guocedb binary has no --tls-cert/--tls-key flags")
	}
}

// writeTestPKI writes a throw-away CA and a server certificate for
// 127.0.0.1 and localhost signed by it, and returns the three PEM files.
func writeTestPKI(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "guocedb compat test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)

	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600))
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER),
		write("server.pem", "CERTIFICATE", der),
		write("server-key.pem", "PRIVATE KEY", keyDER)
}
