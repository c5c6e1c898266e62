package acceptance

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/testutil"
)

// TestShutdownWithAClientThatStopsReading: a client that asked for a large
// result and stopped reading it (suspended, or killed while a child
// process still holds its socket) must not hold a graceful stop: the stop
// ends without error within shutdown-timeout plus the kill grace
// (testutil.StartServer fails the test when the stop reports an error).
func TestShutdownWithAClientThatStopsReading(t *testing.T) {
	// The client's socket stays open until after the stop (cleanups run
	// last-registered first): a duplicate of its descriptor, closed here.
	var held *os.File
	t.Cleanup(func() {
		if held != nil {
			_ = held.Close()
		}
	})
	addr, db := testutil.StartServer(t, testutil.WithConfig(func(c *config.Config) { c.ShutdownTimeout = time.Second }))
	mustExec(t, db, "CREATE DATABASE big")
	mustExec(t, db, "CREATE TABLE big.t (id INT PRIMARY KEY)")
	mustExec(t, db, "INSERT INTO big.t VALUES (1),(2),(3),(4),(5),(6),(7),(8),(9),(10),(11),(12),(13),(14),(15),(16),(17),(18),(19),(20)")

	nc := rawLogin(t, addr)
	var err error
	held, err = nc.(*net.TCPConn).File()
	require.NoError(t, err)
	// About 40 MB: far more than the socket buffers hold; never read.
	query := "SELECT id, REPEAT('x', 2000000) FROM big.t"
	pkt := []byte{byte(len(query) + 1), 0, 0, 0, 0x03}
	_, err = nc.Write(append(pkt, query...))
	require.NoError(t, err)
	time.Sleep(time.Second) // the server is now blocked writing
}
