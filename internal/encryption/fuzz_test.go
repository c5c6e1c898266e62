package encryption_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/guocedb/guocedb/internal/encryption"
)

// FuzzStreamReader feeds any bytes to the reader of encrypted backup
// sections and sealed log lines: an error, never a panic or a read
// without bound, and nothing returned that does not authenticate.
func FuzzStreamReader(f *testing.F) {
	k, _ := encryption.ParseKey(strings.Repeat("11", 32))
	salt := bytes.Repeat([]byte{7}, encryption.StreamSaltLen)
	var buf bytes.Buffer
	w, wsalt, err := encryption.NewStreamWriter(&buf, k, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	_, _ = w.Write([]byte("hello, stream"))
	_ = w.Close()
	f.Add(buf.Bytes(), wsalt)
	f.Add([]byte{0x80, 0, 0, 16}, salt)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, salt)
	s, _ := encryption.NewSealer(k, encryption.LogFieldUse)
	f.Add([]byte(`{"query":"`+s.SealString("query", "SELECT 1")+`"}`), salt)
	f.Fuzz(func(t *testing.T, b, salt []byte) {
		if len(salt) != encryption.StreamSaltLen {
			salt = bytes.Repeat([]byte{7}, encryption.StreamSaltLen)
		}
		r, err := encryption.NewStreamReader(bytes.NewReader(b), k, "fuzz", salt)
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(io.LimitReader(r, 1<<20))
		if err == nil && len(b) > 0 && !bytes.Equal(out, []byte("hello, stream")) && len(out) > 0 {
			t.Fatalf("%d bytes accepted from a stream no one wrote", len(out))
		}
		if _, err := s.OpenLine(b); err != nil {
			return
		}
	})
}
