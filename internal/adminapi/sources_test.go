package adminapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/adminapi"
	"github.com/guocedb/guocedb/internal/adminclient"
)

// The sources below stand in for internal/backup, internal/check and
// internal/slowlog, which are wired by internal/server once they exist:
// these tests pin down what the API does with what such sources return.

// staticAccounts knows one user with a password and privileges.
type staticAccounts struct {
	user, password string
	privileges     []string
}

func (a staticAccounts) VerifyPassword(user, password, _ string) bool {
	return user == a.user && password == a.password
}

func (a staticAccounts) HasAnyPrivilege(user, _ string, privileges ...string) bool {
	if user != a.user {
		return false
	}
	for _, p := range privileges {
		if slices.Contains(a.privileges, p) {
			return true
		}
	}
	return false
}

// patternBackup writes size deterministic bytes in odd-sized writes,
// or refuses the request with refuse before writing.
type patternBackup struct {
	size      int
	gotReq    chan adminapi.BackupRequest
	failAfter bool
	refuse    error
}

func (b patternBackup) Backup(ctx context.Context, w io.Writer, req adminapi.BackupRequest) error {
	b.gotReq <- req
	if b.refuse != nil {
		return b.refuse
	}
	data := pattern(b.size)
	for off := 0; off < len(data); off += 1000 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := w.Write(data[off:min(off+1000, len(data))]); err != nil {
			return err
		}
	}
	if b.failAfter {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func pattern(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(i*7 + i/251)
	}
	return out
}

type fixedCheck struct{ rep adminapi.CheckReport }

func (c fixedCheck) Check(context.Context) (adminapi.CheckReport, error) { return c.rep, nil }

type fixedSlowLog struct{ entries []adminapi.SlowEntry }

func (s fixedSlowLog) Recent(n int) []adminapi.SlowEntry { return s.entries[:min(n, len(s.entries))] }

func startHandler(t *testing.T, opts adminapi.Options) string {
	t.Helper()
	srv := httptest.NewServer(adminapi.NewHandler(opts))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestBackupStreams(t *testing.T) {
	const size = 3<<20 + 12345 // several chunks and a short last one
	reqs := make(chan adminapi.BackupRequest, 1)
	url := startHandler(t, adminapi.Options{
		Accounts: staticAccounts{"admin", "pw", []string{adminapi.PrivBackupAdmin}},
		Backup:   patternBackup{size: size, gotReq: reqs},
	})
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var got bytes.Buffer
	require.NoError(t, adminclient.Backup(ctx, url, adminclient.Credentials{User: "admin", Password: "pw"}, adminclient.BackupBase{Since: 42}, &got))
	require.Equal(t, adminapi.BackupRequest{Since: 42}, <-reqs, "the since timestamp reaches the backupper; no base id is none")
	require.Equal(t, size, got.Len())
	require.Equal(t, sha256.Sum256(pattern(size)), sha256.Sum256(got.Bytes()))

	err := adminclient.Backup(ctx, url, adminclient.Credentials{User: "admin", Password: "bad"}, adminclient.BackupBase{}, io.Discard)
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err), "%v", err)
}

func TestBackupFailureReachesClient(t *testing.T) {
	reqs := make(chan adminapi.BackupRequest, 1)
	url := startHandler(t, adminapi.Options{
		Accounts: staticAccounts{"admin", "pw", []string{adminapi.PrivSuper}},
		Backup:   patternBackup{size: 1 << 20, gotReq: reqs, failAfter: true},
	})
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	err := adminclient.Backup(ctx, url, adminclient.Credentials{User: "admin", Password: "pw"}, adminclient.BackupBase{}, io.Discard)
	require.Equal(t, connect.CodeInternal, connect.CodeOf(err), "a failed backup is an error, not a short file: %v", err)
	require.Contains(t, err.Error(), "backup")
}

// TestBackupBase follows base_id from the client to the backupper, and
// the refusals of a base back: the service's own (an id without since)
// and the backupper's, marked InvalidArgument or FailedPrecondition,
// each with its code and message and no byte of backup.
func TestBackupBase(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	creds := adminclient.Credentials{User: "admin", Password: "pw"}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()

	reqs := make(chan adminapi.BackupRequest, 1)
	url := startHandler(t, adminapi.Options{
		Accounts: staticAccounts{"admin", "pw", []string{adminapi.PrivBackupAdmin}},
		Backup:   patternBackup{size: 10, gotReq: reqs},
	})
	var got bytes.Buffer
	require.NoError(t, adminclient.Backup(ctx, url, creds, adminclient.BackupBase{Since: 7, ID: id}, &got))
	require.Equal(t, adminapi.BackupRequest{Since: 7, BaseID: id}, <-reqs)
	require.Equal(t, 10, got.Len())

	got.Reset()
	err := adminclient.Backup(ctx, url, creds, adminclient.BackupBase{ID: id}, &got)
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "%v", err)
	require.ErrorContains(t, err, "give its since timestamp too")
	require.Empty(t, reqs, "the backupper is not called")
	require.Zero(t, got.Len())

	for _, tt := range []struct {
		name string
		err  error
		code connect.Code
	}{
		{"invalid argument", adminapi.InvalidArgument(errors.New("id \"x\" is not a backup id")), connect.CodeInvalidArgument},
		{"failed precondition", adminapi.FailedPrecondition(errors.New("the base is newer than this data")), connect.CodeFailedPrecondition},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reqs := make(chan adminapi.BackupRequest, 1)
			url := startHandler(t, adminapi.Options{
				Accounts: staticAccounts{"admin", "pw", []string{adminapi.PrivBackupAdmin}},
				Backup:   patternBackup{size: 10, gotReq: reqs, refuse: tt.err},
			})
			var got bytes.Buffer
			err := adminclient.Backup(ctx, url, creds, adminclient.BackupBase{Since: 7, ID: id}, &got)
			require.Equal(t, tt.code, connect.CodeOf(err), "%v", err)
			require.ErrorContains(t, err, tt.err.Error(), "the backupper's message reaches the client")
			require.Zero(t, got.Len())
		})
	}
}

func TestCheckAndSlowLog(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	entries := make([]adminapi.SlowEntry, 150)
	for i := range entries {
		entries[i] = adminapi.SlowEntry{Time: now, Duration: 1500 * time.Millisecond, Query: "SELECT ?", RowsExamined: 10, RowsSent: 1, User: "app", Database: "shop"}
	}
	url := startHandler(t, adminapi.Options{
		Accounts: staticAccounts{"admin", "pw", []string{adminapi.PrivCloneAdmin, adminapi.PrivProcess}},
		Check: fixedCheck{adminapi.CheckReport{
			Problems: []adminapi.CheckProblem{{Object: "shop.items index by_name", Message: "entry without row"}},
			Summary:  "1 problem in 2 tables",
		}},
		SlowLog: fixedSlowLog{entries},
	})
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	c, err := adminclient.New(url, adminclient.Credentials{User: "admin", Password: "pw"})
	require.NoError(t, err)

	rep, err := c.Check(ctx)
	require.NoError(t, err)
	require.False(t, rep.GetOk())
	require.Equal(t, "1 problem in 2 tables", rep.GetSummary())
	require.Len(t, rep.GetProblems(), 1)
	require.Equal(t, "shop.items index by_name", rep.GetProblems()[0].GetObject())

	got, err := c.SlowLog(ctx, 0)
	require.NoError(t, err)
	require.Len(t, got, 100, "limit 0 means 100")
	got, err = c.SlowLog(ctx, 3)
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.Equal(t, "SELECT ?", got[0].GetQuery())
	require.Equal(t, 1.5, got[0].GetDurationSeconds())
	require.Equal(t, now, got[0].GetTime().AsTime())
	require.Equal(t, "shop", got[0].GetDatabase())
}

func TestNilSourcesAreUnimplemented(t *testing.T) {
	url := startHandler(t, adminapi.Options{Accounts: staticAccounts{"admin", "pw", []string{adminapi.PrivSuper}}})
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	c, err := adminclient.New(url, adminclient.Credentials{User: "admin", Password: "pw"})
	require.NoError(t, err)
	_, err = c.Status(ctx)
	require.Equal(t, connect.CodeUnimplemented, connect.CodeOf(err), "%v", err)
	_, err = c.SlowLog(ctx, 1)
	require.Equal(t, connect.CodeUnimplemented, connect.CodeOf(err), "%v", err)
	h, err := c.Health(ctx)
	require.NoError(t, err)
	require.True(t, h.GetLive())
	require.False(t, h.GetReady())
	require.Equal(t, "no readiness check", h.GetReason())

	// Without Accounts every authenticated procedure is refused.
	url = startHandler(t, adminapi.Options{})
	c, err = adminclient.New(url, adminclient.Credentials{User: "admin", Password: "pw"})
	require.NoError(t, err)
	_, err = c.ListSessions(ctx)
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(err), "%v", err)
}
