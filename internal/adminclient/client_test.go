package adminclient_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/adminclient"
	"github.com/guocedb/guocedb/internal/backup"
	"github.com/guocedb/guocedb/internal/testutil"
)

func TestBaseURL(t *testing.T) {
	tests := []struct{ addr, want, wantErr string }{
		{"127.0.0.1:9308", "http://127.0.0.1:9308", ""},
		{" [::1]:9308 ", "http://[::1]:9308", ""},
		{"http://127.0.0.1:9308/", "http://127.0.0.1:9308", ""},
		{"https://db.example:9308", "https://db.example:9308", ""},
		{"", "", "empty"},
		{"9308", "", "not HOST:PORT"},
		{"ftp://x:1", "", "not HOST:PORT"},
		{"http://", "", "not HOST:PORT"},
	}
	for _, tt := range tests {
		got, err := adminclient.BaseURL(tt.addr)
		if tt.wantErr != "" {
			require.ErrorContains(t, err, tt.wantErr, tt.addr)
			continue
		}
		require.NoError(t, err, tt.addr)
		require.Equal(t, tt.want, got)
	}
}

// TestUnreachable checks a server that is not there is a prompt,
// readable Unavailable error, for unary calls and the backup stream.
func TestUnreachable(t *testing.T) {
	addr := testutil.FreeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	creds := adminclient.Credentials{User: "root"}
	c, err := adminclient.New(addr, creds)
	require.NoError(t, err)
	_, err = c.Status(ctx)
	require.Equal(t, connect.CodeUnavailable, connect.CodeOf(err), "%v", err)
	require.ErrorContains(t, err, "status: admin API at "+addr)
	require.ErrorContains(t, err, "is guocedb running")

	err = adminclient.Backup(ctx, addr, creds, adminclient.BackupBase{}, io.Discard)
	require.Equal(t, connect.CodeUnavailable, connect.CodeOf(err), "%v", err)
	require.ErrorContains(t, err, "backup: admin API at "+addr)
}

// TestBackupOverTheAdminAPI runs the online backup client against the
// real server: the stream it writes is a complete, verifiable backup; an
// incremental records the base id it was given (none when given only the
// timestamp, as from older clients); a base the server cannot use is
// refused with the caller's code before any byte is sent.
func TestBackupOverTheAdminAPI(t *testing.T) {
	var adminAddr string
	testutil.StartServer(t, testutil.WithAdminAddr(&adminAddr))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	take := func(name string, base adminclient.BackupBase) (backup.Manifest, error) {
		path := filepath.Join(dir, name)
		if err := backup.CreateFile(path, func(w io.Writer) error {
			return adminclient.Backup(ctx, adminAddr, adminclient.Credentials{User: "root"}, base, w)
		}); err != nil {
			return backup.Manifest{}, err
		}
		return backup.Verify(ctx, path)
	}
	full, err := take("full", adminclient.BackupBase{})
	require.NoError(t, err)
	require.Equal(t, "test", full.SourceVersion)
	require.Positive(t, full.Keys)
	require.Empty(t, full.BaseID)

	incr, err := take("incr", adminclient.BackupBase{Since: full.SnapshotTs, ID: full.ID})
	require.NoError(t, err)
	require.Equal(t, full.SnapshotTs, incr.SinceTs)
	require.Equal(t, full.ID, incr.BaseID, "the base id reaches the manifest")
	require.NoError(t, backup.CheckChain([]string{"full", "incr"}, []backup.Manifest{full, incr}))

	tsOnly, err := take("ts-only", adminclient.BackupBase{Since: full.SnapshotTs})
	require.NoError(t, err)
	require.Equal(t, full.SnapshotTs, tsOnly.SinceTs)
	require.Empty(t, tsOnly.BaseID, "without an id, none is recorded, as before base ids")

	for _, tt := range []struct {
		name string
		base adminclient.BackupBase
		code connect.Code
		msg  string
	}{
		{"malformed id", adminclient.BackupBase{Since: full.SnapshotTs, ID: "not-an-id"}, connect.CodeInvalidArgument, `id "not-an-id" is not a backup id`},
		{"id in upper case", adminclient.BackupBase{Since: full.SnapshotTs, ID: strings.ToUpper(full.ID)}, connect.CodeInvalidArgument, "is not a backup id"},
		{"id without since", adminclient.BackupBase{ID: full.ID}, connect.CodeInvalidArgument, "give its since timestamp too"},
		{"base newer than the data", adminclient.BackupBase{Since: 1 << 60, ID: full.ID}, connect.CodeFailedPrecondition, "not a backup of this data"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got bytes.Buffer
			err := adminclient.Backup(ctx, adminAddr, adminclient.Credentials{User: "root"}, tt.base, &got)
			require.Equal(t, tt.code, connect.CodeOf(err), "%v", err)
			require.ErrorContains(t, err, tt.msg)
			require.Zero(t, got.Len(), "a refused base sends no byte")
		})
	}
}
