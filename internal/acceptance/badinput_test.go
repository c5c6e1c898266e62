package acceptance

import (
	"context"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBadInput sends wrong SQL, bad values and broken clients, and checks
// after each that the server still answers.
func TestBadInput(t *testing.T) {
	addr, db := start(t)
	mustExec(t, db, "CREATE DATABASE bad")
	mustExec(t, db, "CREATE TABLE bad.t (id INT PRIMARY KEY, v TINYINT, s VARCHAR(3))")
	mustExec(t, db, "INSERT INTO bad.t VALUES (1, 1, 'a')")

	cases := []sqlCase{
		{name: "syntax error", query: "SELEKT 1", wantErr: 1064},
		{name: "syntax error inside", query: "SELECT * FROM bad.t WHERE", wantErr: 1064},
		// vitess's parser panics on these (found by FuzzParse); MySQL
		// reads them as SELECT ''.
		{name: "quote right after SELECT", query: "SELECT''", want: [][]string{{""}}},
		{name: "quote right after SELECT, then more", query: "SELECT'', \"x\" FROM bad.t", want: [][]string{{"", "x"}}},
		{name: "unknown table", query: "SELECT * FROM bad.nosuch", wantErr: 1146},
		{name: "unknown database", query: "SELECT * FROM nosuch.t", wantErr: 1049},
		{name: "unknown column", query: "SELECT nosuch FROM bad.t", wantErr: 1054},
		{name: "unknown column in where", query: "SELECT id FROM bad.t WHERE nosuch = 1", wantErr: 1054},
		{name: "out of range", query: "INSERT INTO bad.t VALUES (2, 1000, 'b')", wantErr: 1264},
		{name: "out of range update", query: "UPDATE bad.t SET v = -129 WHERE id = 1", wantErr: 1264},
		{name: "string too long", query: "INSERT INTO bad.t VALUES (3, 1, 'abcd')", wantErr: 1406},
		{name: "duplicate key", query: "INSERT INTO bad.t VALUES (1, 1, 'x')", wantErr: 1062},
		{name: "incorrect integer value", query: "INSERT INTO bad.t VALUES ('x', 1, 'x')", wantErr: 1366},
		{name: "column count", query: "INSERT INTO bad.t VALUES (4, 1)", wantErr: 1136},
		{name: "division by zero is NULL", query: "SELECT 1/0, 1 DIV 0, 5 % 0", want: [][]string{{null, null, null}}},
		{name: "division by zero in insert", query: "INSERT INTO bad.t VALUES (5, 1/0, 'z')", wantErr: 1365},
		{name: "nothing written by failed statements", query: "SELECT id, v, s FROM bad.t", want: [][]string{{"1", "1", "a"}}},
		{name: "division by zero in update", query: "UPDATE bad.t SET v = 1 DIV 0 WHERE id = 1", wantErr: 1365},
		{name: "strict sql mode", query: "SELECT @@sql_mode LIKE '%STRICT_TRANS_TABLES%'", want: [][]string{{"1"}}},
		// MySQL 8's modes; go-mysql-server lists a SET in its own order.
		{name: "MySQL 8's default sql_mode", query: "SELECT @@GLOBAL.sql_mode, @@SESSION.sql_mode",
			want: [][]string{{"ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_ZERO_DATE,NO_ZERO_IN_DATE,ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES",
				"ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_ZERO_DATE,NO_ZERO_IN_DATE,ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES"}}},
		{name: "huge string", query: "SELECT LENGTH(REPEAT('x', 1000000))", want: [][]string{{"1000000"}}},
		{name: "invalid json", query: "SELECT CAST('{bad' AS JSON)", wantErr: 3141},
		{name: "invalid date", query: "INSERT INTO bad.d VALUES ('2023-02-30')", setup: []string{"CREATE TABLE bad.d (d DATE)"}, wantErr: 1292},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runCases(t, db, []sqlCase{tc})
			requireAlive(t, db)
		})
	}

	t.Run("prepared statement that panics the parser", func(t *testing.T) {
		stmt, err := db.Prepare("SELECT'', ?")
		require.NoError(t, err)
		defer stmt.Close()
		var empty, one string
		require.NoError(t, stmt.QueryRow(1).Scan(&empty, &one))
		require.Equal(t, []string{"", "1"}, []string{empty, one})
		requireAlive(t, db)
	})

	t.Run("client disconnects mid-query", func(t *testing.T) {
		c := conn(t, db)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		// The driver closes the connection when ctx expires mid-query.
		_, err := c.ExecContext(ctx, "SELECT SLEEP(2)")
		require.Error(t, err)
		_ = c.Close()
		requireAlive(t, db)
	})

	t.Run("malformed packets", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			send func(net.Conn) error
		}{
			{"garbage before handshake response", func(nc net.Conn) error {
				_, err := nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
				return err
			}},
			{"truncated packet", func(nc net.Conn) error {
				// Header announces 100 bytes, only 3 follow, then close.
				_, err := nc.Write([]byte{100, 0, 0, 1, 'a', 'b', 'c'})
				return err
			}},
			{"oversized length", func(nc net.Conn) error {
				_, err := nc.Write([]byte{0xff, 0xff, 0xff, 1, 0, 0, 0, 0})
				return err
			}},
			{"zero length packet", func(nc net.Conn) error {
				_, err := nc.Write([]byte{0, 0, 0, 1})
				return err
			}},
			{"short handshake response", func(nc net.Conn) error {
				body := []byte{0x0d, 0xa6, 0x03, 0x00} // capability flags only
				hdr := make([]byte, 4)
				binary.LittleEndian.PutUint32(hdr, uint32(len(body)))
				hdr[3] = 1
				_, err := nc.Write(append(hdr, body...))
				return err
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
				require.NoError(t, err)
				defer func() { _ = nc.Close() }()
				require.NoError(t, nc.SetDeadline(time.Now().Add(5*time.Second)))
				greeting := make([]byte, 4)
				_, err = readFull(nc, greeting)
				require.NoError(t, err, "no server greeting")
				n := int(binary.LittleEndian.Uint32(append(greeting[:3:3], 0)))
				_, err = readFull(nc, make([]byte, n))
				require.NoError(t, err)
				require.NoError(t, tc.send(nc))
				// Drain what the server answers for up to a second; it may
				// reply with an error and keep the session, or hang up.
				require.NoError(t, nc.SetReadDeadline(time.Now().Add(time.Second)))
				buf := make([]byte, 512)
				for i := 0; i < 100; i++ {
					if _, err := nc.Read(buf); err != nil {
						break
					}
				}
				_ = nc.Close()
				requireAlive(t, db)
			})
		}
	})

	t.Run("garbage after login", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			packet []byte
		}{
			{"unknown command", []byte{5, 0, 0, 0, 0xee, 0xaa, 0xbb, 0xcc, 0xdd}},
			{"query without text", []byte{1, 0, 0, 0, 0x03}},
			{"prepare of garbage", []byte{4, 0, 0, 0, 0x16, 0xff, 0x00, 0xfe}},
			{"execute unknown statement", []byte{10, 0, 0, 0, 0x17, 0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 0}},
			{"truncated packet", []byte{50, 0, 0, 0, 0x03, 'S', 'E'}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				nc := rawLogin(t, addr)
				_, err := nc.Write(tc.packet)
				require.NoError(t, err)
				// Drain what the server answers for up to a second; it may
				// reply with an error and keep the session, or hang up.
				require.NoError(t, nc.SetReadDeadline(time.Now().Add(time.Second)))
				buf := make([]byte, 512)
				for i := 0; i < 100; i++ {
					if _, err := nc.Read(buf); err != nil {
						break
					}
				}
				_ = nc.Close()
				requireAlive(t, db)
			})
		}
	})
}

// rawLogin logs in as root (empty password) over a plain socket with a
// minimal protocol-41 handshake response and returns the connection.
func rawLogin(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = nc.Close() })
	require.NoError(t, nc.SetDeadline(time.Now().Add(5*time.Second)))
	readPacket(t, nc) // greeting
	const (
		clientLongPassword     = 0x1
		clientProtocol41       = 0x200
		clientSecureConnection = 0x8000
	)
	body := binary.LittleEndian.AppendUint32(nil, clientLongPassword|clientProtocol41|clientSecureConnection)
	body = binary.LittleEndian.AppendUint32(body, 1<<24)
	body = append(body, 45)                  // utf8mb4
	body = append(body, make([]byte, 23)...) // filler
	body = append(body, "root\x00"...)
	body = append(body, 0) // empty auth response
	hdr := binary.LittleEndian.AppendUint32(nil, uint32(len(body)))
	hdr[3] = 1
	_, err = nc.Write(append(hdr, body...))
	require.NoError(t, err)
	reply := readPacket(t, nc)
	require.NotEmpty(t, reply)
	require.Equal(t, byte(0x00), reply[0], "login failed: %q", reply)
	return nc
}

// readPacket reads one MySQL packet and returns its payload.
func readPacket(t *testing.T, nc net.Conn) []byte {
	t.Helper()
	hdr := make([]byte, 4)
	_, err := readFull(nc, hdr)
	require.NoError(t, err)
	n := int(binary.LittleEndian.Uint32(append(hdr[:3:3], 0)))
	body := make([]byte, n)
	_, err = readFull(nc, body)
	require.NoError(t, err)
	return body
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
