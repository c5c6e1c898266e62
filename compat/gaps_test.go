package compat

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// Server behaviours some clients depend on, probed on the server under
// test. guocedb has all of them; a check that depends on a missing one
// fails with the reason first, before the client's own, less readable
// symptom (a regression, not a skip).
const (
	// gapBitCharset: BIT columns described as binary (character set 63).
	gapBitCharset = "BIT columns are described with character set utf8mb4, not binary (63): the client decodes BIT as text"
	// gapFloatDecimals: FLOAT/DOUBLE columns described with 31 decimals.
	gapFloatDecimals = "FLOAT columns are described with 0 decimals, not 31: mysqlnd rounds FLOAT results of prepared statements to integers"
	// gapCompression: CLIENT_COMPRESS offered in the handshake of a
	// listener without TLS.
	gapCompression = "the server does not offer CLIENT_COMPRESS and mysqlnd compresses anyway: the connection hangs"
)

// columnBlock returns the --column-type-info block of column name.
func columnBlock(info, name string) string {
	for _, b := range strings.Split(info, "Field ") {
		if strings.Contains(b, ":  `"+name+"`\n") {
			return b
		}
	}
	return ""
}

// probeGaps returns the gaps of s (keys and reasons are the gap* texts).
func probeGaps(t *testing.T, s *server) map[string]bool {
	t.Helper()
	gaps := make(map[string]bool)
	info := columnTypeInfo(t, s, "SELECT bt, f FROM types LIMIT 1")
	if !regexp.MustCompile(`Collation:\s+binary \(63\)`).MatchString(columnBlock(info, "bt")) {
		gaps[gapBitCharset] = true
	}
	if !regexp.MustCompile(`Decimals:\s+31`).MatchString(columnBlock(info, "f")) {
		gaps[gapFloatDecimals] = true
	}
	return gaps
}

// columnTypeInfo returns the mariadb client's --column-type-info output
// for query in the compat database.
func columnTypeInfo(t *testing.T, s *server, query string) string {
	t.Helper()
	cli := testutil.RequireTool(t, "mariadb")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append(clientArgs(s), "--table", "--column-type-info", "-e", query, compatDB)
	out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return string(out)
}

// offersCompression reads the server's handshake and reports whether its
// capability flags include CLIENT_COMPRESS.
func offersCompression(t *testing.T, addr string) bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	var hdr [4]byte
	_, err = io.ReadFull(c, hdr[:])
	require.NoError(t, err)
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	p := make([]byte, n)
	_, err = io.ReadFull(c, p)
	require.NoError(t, err)
	// Protocol 10: version, server version NUL-terminated, thread id (4),
	// auth data (8), filler (1), capability flags, lower 16 bits.
	require.Equal(t, byte(10), p[0], "handshake protocol")
	end := bytes.IndexByte(p[1:], 0)
	require.GreaterOrEqual(t, end, 0, "server version")
	off := 1 + end + 1 + 4 + 8 + 1
	require.Less(t, off+2, len(p), "short handshake")
	const clientCompress = 0x20
	return binary.LittleEndian.Uint16(p[off:])&clientCompress != 0
}

// failOnGap fails t when the server has one of gaps' keys in deps.
func failOnGap(t *testing.T, gaps map[string]bool, deps ...string) {
	t.Helper()
	for _, d := range deps {
		if gaps[d] {
			t.Fatalf("server behaviour missing: %s", d)
		}
	}
}
