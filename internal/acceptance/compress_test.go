package acceptance

import (
	"context"
	"crypto/tls"
	"database/sql"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/testutil"
)

// greetingCapabilities returns the low capability flags of the server's
// greeting on addr.
func greetingCapabilities(t *testing.T, addr string) uint16 {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	hdr := make([]byte, 4)
	_, err = io.ReadFull(c, hdr)
	require.NoError(t, err)
	body := make([]byte, int(hdr[0])|int(hdr[1])<<8|int(hdr[2])<<16)
	_, err = io.ReadFull(c, body)
	require.NoError(t, err)
	// protocol version, NUL-terminated server version, connection id (4),
	// auth data part 1 (8), filler (1), capability flags (low 2).
	pos := 1 + strings.IndexByte(string(body[1:]), 0) + 1 + 4 + 8 + 1
	return uint16(body[pos]) | uint16(body[pos+1])<<8
}

const clientCompress = 1 << 5

// Compressed protocol: offered and working on a listener without TLS.
func TestCompression(t *testing.T) {
	addr, _ := start(t)
	require.NotZero(t, greetingCapabilities(t, addr)&clientCompress, "CLIENT_COMPRESS advertised")

	t.Run("go-sql-driver compress=true", func(t *testing.T) {
		db, err := sql.Open("mysql", testutil.DSN("root", "", addr, "")+"&compress=true")
		require.NoError(t, err)
		defer db.Close()
		require.Equal(t, "1", queryValue(t, db, "SELECT 1"))
		mustExec(t, db, "CREATE DATABASE IF NOT EXISTS zip")
		mustExec(t, db, "CREATE TABLE zip.t (id INT PRIMARY KEY, body LONGTEXT)")
		big := strings.Repeat("compress me ", 200_000) // 2.4 MB, several packets
		mustExec(t, db, "INSERT INTO zip.t VALUES (1, ?), (2, 'short')", big)
		var got string
		require.NoError(t, db.QueryRow("SELECT body FROM zip.t WHERE id = 1").Scan(&got))
		require.Equal(t, big, got)
		rows := queryRows(t, db, "SELECT id, LENGTH(body) FROM zip.t ORDER BY id")
		require.Equal(t, [][]string{{"1", "2400000"}, {"2", "5"}}, rows)
		// Prepared statements go through the same framing.
		stmt, err := db.Prepare("SELECT body FROM zip.t WHERE id = ?")
		require.NoError(t, err)
		defer stmt.Close()
		require.NoError(t, stmt.QueryRow(2).Scan(&got))
		require.Equal(t, "short", got)
	})

	t.Run("mariadb --compress", func(t *testing.T) {
		bin := testutil.RequireTool(t, "mariadb")
		out := runClient(t, bin, addr, "--compress", "-e", "SELECT 40 + 2; SELECT LENGTH(REPEAT('ab', 50000))")
		require.Equal(t, "42\n100000", out)
	})
}

// PHP's mysqlnd switches to compressed framing whenever the script asks,
// whether or not the server offered it; it used to hang here.
func TestCompressionPHPMysqlnd(t *testing.T) {
	bin := testutil.RequireTool(t, "php")
	certs := testutil.NewTestCerts(t)
	for _, tc := range []struct {
		name string
		opts []testutil.ServerOption
	}{
		{"offered", nil},
		{"not offered (TLS listener, plain client)", []testutil.ServerOption{testutil.WithConfig(func(c *config.Config) {
			c.TLSCert, c.TLSKey = certs.CertFile, certs.KeyFile
		})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, _ := start(t, tc.opts...)
			_, port, err := net.SplitHostPort(addr)
			require.NoError(t, err)
			script := `$m = mysqli_init();
$m->options(MYSQLI_OPT_CONNECT_TIMEOUT, 10);
$m->options(MYSQLI_OPT_READ_TIMEOUT, 10);
$m->real_connect("127.0.0.1", "root", "", "", ` + port + `, null, MYSQLI_CLIENT_COMPRESS);
$r = $m->query("SELECT 6 * 7, NULL, REPEAT('z', 70000)")->fetch_row();
$s = $m->prepare("SELECT ? + 1");
$v = 9;
$s->bind_param("i", $v);
$s->execute();
$p = $s->get_result()->fetch_row();
echo $r[0], " ", var_export($r[1], true), " ", strlen($r[2]), " ", $p[0], "\n";`
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, "-r", script).CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Equal(t, "42 NULL 70000 10", strings.TrimSpace(string(out)))
		})
	}
}

// With TLS the listener does not offer compression (it would have to run
// inside TLS); clients that ask for it get the plain protocol.
func TestCompressionNotOfferedWithTLS(t *testing.T) {
	certs := testutil.NewTestCerts(t)
	tlsName := testutil.RegisterClientTLS(t, &tls.Config{RootCAs: certs.Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
	addr, _ := testutil.StartServer(t, testutil.WithConfig(func(c *config.Config) {
		c.TLSCert, c.TLSKey = certs.CertFile, certs.KeyFile
	}))
	require.Zero(t, greetingCapabilities(t, addr)&clientCompress, "CLIENT_COMPRESS advertised with TLS")
	for _, params := range []string{"&compress=true", "&compress=true&tls=" + tlsName} {
		db, err := sql.Open("mysql", testutil.DSN("root", "", addr, "")+params)
		require.NoError(t, err)
		require.Equal(t, "3", queryValue(t, db, "SELECT 1 + 2"), params)
		require.NoError(t, db.Close())
	}
	if bin, err := exec.LookPath("mariadb"); err == nil {
		require.Equal(t, "42", runClient(t, bin, addr, "--compress", "-e", "SELECT 40 + 2"))
	}
}

// runClient runs the mariadb command-line client as root on addr in batch
// mode and returns its trimmed output.
func runClient(t *testing.T, bin, addr string, args ...string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all := append([]string{"--no-defaults", "-h", host, "-P", port, "-uroot", "--batch", "--skip-column-names"}, args...)
	out, err := exec.CommandContext(ctx, bin, all...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return strings.TrimSpace(string(out))
}
