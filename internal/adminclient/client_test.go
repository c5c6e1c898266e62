package adminclient_test

import (
	"context"
	"io"
	"path/filepath"
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

	err = adminclient.Backup(ctx, addr, creds, 0, io.Discard)
	require.Equal(t, connect.CodeUnavailable, connect.CodeOf(err), "%v", err)
	require.ErrorContains(t, err, "backup: admin API at "+addr)
}

// TestBackupOverTheAdminAPI runs the online backup client against the
// real server: the stream it writes is a complete, verifiable backup.
func TestBackupOverTheAdminAPI(t *testing.T) {
	var adminAddr string
	testutil.StartServer(t, testutil.WithAdminAddr(&adminAddr))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "online.gdbbak")
	require.NoError(t, backup.CreateFile(path, func(w io.Writer) error {
		return adminclient.Backup(ctx, adminAddr, adminclient.Credentials{User: "root"}, 0, w)
	}))
	m, err := backup.Verify(ctx, path)
	require.NoError(t, err)
	require.Equal(t, "test", m.SourceVersion)
	require.Positive(t, m.Keys)
}
