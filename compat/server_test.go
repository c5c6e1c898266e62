package compat

import (
	"database/sql"
	"net"
	"os"
	"path/filepath"
	"testing"

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
	// caFile is the CA (PEM) that signed the server's TLS certificate.
	caFile string
	// root is a go-sql-driver connection as root.
	root *sql.DB
}

// startServer builds the binary once, starts it on a fresh data directory,
// creates the compat
// account and database, and loads testdata/types.sql when withTypes. The
// server offers TLS with a certificate from a throw-away CA.
func startServer(t *testing.T, withTypes bool) *server {
	t.Helper()
	return startServerTLS(t, withTypes, true)
}

// startServerTLS is startServer, without TLS when withTLS is false (the
// compression checks: guocedb offers compression only without TLS).
func startServerTLS(t *testing.T, withTypes, withTLS bool) *server {
	t.Helper()
	bin := testutil.BuildBinary(t)
	s := &server{}
	var args []string
	if withTLS {
		certs := testutil.NewTestCerts(t)
		s.caFile = certs.CAFile
		args = []string{"--tls-cert", certs.CertFile, "--tls-key", certs.KeyFile}
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
	return []string{
		"COMPAT_HOST=" + s.host,
		"COMPAT_PORT=" + s.port,
		"COMPAT_USER=" + compatUser,
		"COMPAT_PASSWORD=" + compatPassword,
		"COMPAT_DB=" + compatDB,
		"COMPAT_TLS=" + map[bool]string{true: "1", false: "0"}[s.caFile != ""],
		"COMPAT_CA=" + s.caFile,
	}
}
