package acceptance

import (
	"context"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestShortOKInfoWithMariaDBClient runs statements whose OK packet carries
// a short info text (PREPARE's "Statement prepared") through libmariadb,
// which reads that text as a length-encoded string: it failed with
// "Received malformed packet" (2027) before the text was padded.
// go-sql-driver ignores the text, so this needs the real client.
func TestShortOKInfoWithMariaDBClient(t *testing.T) {
	cli := testutil.RequireTool(t, "mariadb")
	addr, _ := testutil.StartServer(t)
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, cli, "--no-defaults", "-h"+host, "-P"+port, "-uroot",
		"--batch", "--skip-column-names", "-e",
		"PREPARE s FROM 'SELECT ? + 1'; SET @x = 41; EXECUTE s USING @x; DEALLOCATE PREPARE s; "+
			"CREATE DATABASE okinfo; CREATE TABLE okinfo.t (a INT); INSERT INTO okinfo.t VALUES (1), (2); "+
			"UPDATE okinfo.t SET a = a + 1; SELECT SUM(a) FROM okinfo.t").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "42\n5\n", string(out))
}
