package adminapi_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/guocedb/guocedb/internal/testutil"
)

// FuzzAdminRequest sends arbitrary requests to a real admin API (a real
// server on a real store): any procedure name, content type, credentials
// and body. Every request must get an answer that is not a server error
// (5xx), and the server must never log a caught panic (the fixture fails
// the test on one). The accounts are those of startFixture, so the
// privileged calls are refused rather than run.
func FuzzAdminRequest(f *testing.F) {
	// Only errors are logged: the test log cannot be written from inside
	// a fuzz target, and a caught panic (logged as an error) fails it.
	fx := startFixture(f, testutil.WithLogLevel(slog.LevelError))
	procedures := []string{"Status", "Health", "ListSessions", "KillSession", "Backup", "Check", "SlowLog", "Nope", ""}
	contentTypes := []string{"application/json", "application/proto", "application/grpc", "application/grpc-web+proto", "text/plain", ""}
	logins := []string{"", "monitor:mon-pw", "monitor:wrong", "nobody:nobody-pw", "\x00:\xff"}
	f.Add(uint8(0), uint8(0), uint8(1), []byte("{}"))
	f.Add(uint8(2), uint8(0), uint8(1), []byte(`{"limit": -1}`))
	f.Add(uint8(3), uint8(0), uint8(3), []byte(`{"id": 1, "query_only": true}`))
	f.Add(uint8(6), uint8(1), uint8(1), []byte{0x08, 0x96, 0x01})
	f.Add(uint8(4), uint8(2), uint8(0), []byte{0, 0, 0, 0, 5, 1, 2, 3, 4, 5})
	f.Add(uint8(5), uint8(0), uint8(2), []byte(`{"data_dir": "/etc"}`))
	client := &http.Client{Timeout: 20 * time.Second}
	f.Fuzz(func(t *testing.T, proc, ctype, login uint8, body []byte) {
		req, err := http.NewRequest(http.MethodPost,
			"http://"+fx.adminAddr+"/guocedb.admin.v1.AdminService/"+procedures[int(proc)%len(procedures)],
			bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if ct := contentTypes[int(ctype)%len(contentTypes)]; ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if l := logins[int(login)%len(logins)]; l != "" {
			req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(l)))
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status %d for %s %q", resp.StatusCode, req.URL.Path, body)
		}
	})
}
