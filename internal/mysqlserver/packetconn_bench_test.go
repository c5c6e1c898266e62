package mysqlserver

import (
	"bytes"
	"io"
	"net"
	"testing"

	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// streamConn is a net.Conn over a byte stream to read and a sink, for
// measuring packetConn alone.
type streamConn struct {
	net.Conn
	r io.Reader
}

func (c *streamConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *streamConn) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkPacketConnQuery is the cost packetConn adds to one small
// command: reading a COM_QUERY and writing a one-row result set (column
// count, definition, EOF, row, EOF).
func BenchmarkPacketConnQuery(b *testing.B) {
	query := append([]byte{0x03}, "SELECT c FROM sbtest1 WHERE id = 4242"...)
	cmd := append([]byte{byte(len(query)), 0, 0, 0}, query...)
	// A handshake response: flags (protocol 4.1), max packet size,
	// character set, 23 filler bytes, user root, no password. Shorter,
	// packetConn answers it 1043 (malformed_packets.go).
	handshake := []byte{38, 0, 0, 1, 0, 2, 0, 0}
	handshake = append(handshake, make([]byte, 28)...)
	handshake = append(handshake, "root\x00\x00"...)
	var result []byte
	for seq, pl := range [][]byte{{1}, columnDefinition(testField()), {0xfe, 0, 0, 2, 0}, {3, 'a', 'b', 'c'}, {0xfe, 0, 0, 2, 0}} {
		result = append(result, byte(len(pl)), 0, 0, byte(seq+1))
		result = append(result, pl...)
	}
	stream := bytes.Repeat(cmd, b.N)
	pc := newPacketConn(&streamConn{r: io.MultiReader(bytes.NewReader(handshake), bytes.NewReader(stream))})
	buf := make([]byte, 16<<10)
	if _, err := pc.Read(buf); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := pc.Read(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := pc.Write(result); err != nil {
			b.Fatal(err)
		}
	}
}

func testField() *querypb.Field {
	return &querypb.Field{Name: "c", OrgName: "c", Table: "sbtest1", OrgTable: "sbtest1", Database: "sbtest",
		Type: querypb.Type_VARCHAR, Charset: 255, ColumnLength: 480}
}
