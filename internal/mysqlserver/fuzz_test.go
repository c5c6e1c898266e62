package mysqlserver_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/guocedb/guocedb/internal/testutil"
)

// Fuzz targets of the wire protocol against a real server (real handler,
// real Badger store): the handshake (FuzzHandshake: bytes in place of the
// client's handshake response) and the command phase (FuzzCommand: bytes
// after a login as root). An input fails when the server logs a caught
// panic or stops answering. Seeds are in testdata/fuzz/; `make fuzz` runs
// each target for a bounded time, and plain `go test` replays the seeds
// and every crasher committed there.

// fuzzServer starts one server for the whole fuzz run of f, with a table
// for commands to touch.
func fuzzServer(f *testing.F) (string, *sql.DB) {
	addr, db := testutil.StartServer(f)
	for _, q := range []string{"CREATE DATABASE fz", "CREATE TABLE fz.t (id INT PRIMARY KEY, s VARCHAR(20))",
		"INSERT INTO fz.t VALUES (1, 'a'), (2, 'b')"} {
		if _, err := db.Exec(q); err != nil {
			f.Fatalf("%s: %v", q, err)
		}
	}
	return addr, db
}

// checkServer fails t when a panic was caught since before, or the server
// stopped answering.
func checkServer(t *testing.T, db *sql.DB, before int) {
	t.Helper()
	if n, last := testutil.CaughtPanics(); n > before {
		t.Fatalf("the server caught a panic:\n%s", last)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("server does not answer: %v", err)
	}
}

func packet(seq byte, body []byte) []byte {
	hdr := binary.LittleEndian.AppendUint32(nil, uint32(len(body)))
	hdr[3] = seq
	return append(hdr, body...)
}

func readPacket(c net.Conn) ([]byte, error) {
	hdr := make([]byte, 4)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return nil, err
	}
	body := make([]byte, int(binary.LittleEndian.Uint32(append(hdr[:3:3], 0))))
	_, err := io.ReadFull(c, body)
	return body, err
}

// drain reads what the server answers until it stops or hangs up.
func drain(c net.Conn) {
	// The answer comes in one burst (one flush per result): wait for its
	// start, then read until the connection is idle. Commands without an
	// answer (COM_STMT_CLOSE, COM_QUIT) cost the first wait only.
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 4096)
	for range 256 {
		if _, err := c.Read(buf); err != nil {
			return
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
	}
}

// handshakeResponse is a protocol-41 login of root without a password.
func handshakeResponse() []byte {
	body := binary.LittleEndian.AppendUint32(nil, 0x1|0x200|0x8000|0x10000) // long password, 4.1, secure conn, multi statements
	body = binary.LittleEndian.AppendUint32(body, 1<<24)
	body = append(body, 45)
	body = append(body, make([]byte, 23)...)
	body = append(body, "root\x00"...)
	return append(body, 0)
}

func FuzzHandshake(f *testing.F) {
	addr, db := fuzzServer(f)
	f.Add(handshakeResponse())
	f.Add([]byte{})
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add(handshakeResponse()[:10])
	f.Add(append(handshakeResponse()[:32], "\xff\xff\xff\xff"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		before, _ := testutil.CaughtPanics()
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := readPacket(c); err != nil {
			t.Fatalf("greeting: %v", err)
		}
		_, _ = c.Write(packet(1, data))
		drain(c)
		_ = c.Close()
		checkServer(t, db, before)
	})
}

func FuzzCommand(f *testing.F) { fuzzCommand(f, false) }

// FuzzCommandWithCursor is FuzzCommand with a server-side cursor open
// (COM_STMT_EXECUTE with the cursor flag, one row fetched) when the
// fuzzed command arrives: vitess panicked on an execute or prepare then.
func FuzzCommandWithCursor(f *testing.F) { fuzzCommand(f, true) }

func fuzzCommand(f *testing.F, cursor bool) {
	addr, db := fuzzServer(f)
	for _, seed := range [][]byte{
		append([]byte{0x03}, "SELECT * FROM fz.t"...),
		append([]byte{0x03}, "SELECT 1; SELECT 2"...),
		append([]byte{0x16}, "SELECT s FROM fz.t WHERE id = ?"...),
		{0x17, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0x03, 0, 1, 0, 0, 0}, // execute with a cursor
		{0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x03, 0, 1, 0, 0, 0}, // execute without
		{0x1a, 9, 0, 0, 0},               // reset of an unknown statement
		{0x1a, 1, 0, 0, 0},               // reset
		{0x19, 1, 0, 0, 0},               // close
		{0x1c, 1, 0, 0, 0, 1, 0, 0, 0},   // fetch
		{0x1c, 1, 0, 0, 0},               // short fetch
		{0x1f},                           // reset connection
		{0x02, 'f', 'z'},                 // init db
		{0x0e},                           // ping
		{0x11, 'r', 'o', 'o', 't', 0, 0}, // change user
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		before, _ := testutil.CaughtPanics()
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := readPacket(c); err != nil {
			t.Fatalf("greeting: %v", err)
		}
		if _, err := c.Write(packet(1, handshakeResponse())); err != nil {
			t.Fatal(err)
		}
		if ok, err := readPacket(c); err != nil || len(ok) == 0 || ok[0] != 0 {
			t.Fatalf("login: %q %v", ok, err)
		}
		// A prepared statement for the execute, fetch and reset seeds.
		_, _ = c.Write(packet(0, append([]byte{0x16}, "SELECT s FROM fz.t WHERE id > ?"...)))
		drain(c)
		if cursor {
			_, _ = c.Write(packet(0, []byte{0x17, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0x03, 0, 0, 0, 0, 0}))
			drain(c)
			_, _ = c.Write(packet(0, []byte{0x1c, 1, 0, 0, 0, 1, 0, 0, 0}))
			drain(c)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Write(packet(0, data))
		drain(c)
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		// The connection, if still open, takes another command.
		_, _ = c.Write(packet(0, append([]byte{0x03}, "SELECT 1"...)))
		drain(c)
		checkServer(t, db, before)
	})
}
