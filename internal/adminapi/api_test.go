package adminapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	adminv1 "github.com/guocedb/guocedb/internal/adminapi/gen/adminv1"
	"github.com/guocedb/guocedb/internal/backup"
	"github.com/guocedb/guocedb/internal/storage"
	"github.com/guocedb/guocedb/internal/testutil"
)

// TestAdminAPI checks every procedure's answer and its access rule over
// real JSON-over-HTTP requests and a real gRPC client (grpc-go over h2c).
func TestAdminAPI(t *testing.T) {
	f := startFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_, err := f.root.ExecContext(ctx, "CREATE DATABASE shop")
	require.NoError(t, err)
	for _, table := range []string{"items", "orders"} {
		_, err = f.root.ExecContext(ctx, "CREATE TABLE shop."+table+" (id INT PRIMARY KEY)")
		require.NoError(t, err)
	}

	t.Run("JSON status", func(t *testing.T) {
		code, body := postJSON(t, f.adminAddr, "Status", "monitor", "mon-pw", "{}")
		require.Equal(t, 200, code, "%v", body)
		require.Equal(t, "test", body["version"])
		require.Greater(t, body["uptime_seconds"], 0.0)
		require.EqualValues(t, 1, body["databases"])
		require.EqualValues(t, 2, body["tables"])
		require.GreaterOrEqual(t, body["connections"], 1.0, "the root connection")
		require.EqualValues(t, storage.FormatVersion, body["format_version"])
		// 64-bit integers are strings in proto3 JSON.
		size, err := strconv.ParseInt(body["data_size_bytes"].(string), 10, 64)
		require.NoError(t, err)
		require.Greater(t, size, int64(0), "the data directory holds files")
	})

	t.Run("JSON status with an empty body", func(t *testing.T) {
		code, body := postJSON(t, f.adminAddr, "Status", "monitor", "mon-pw", "")
		require.Equal(t, 200, code, "%v", body)
		require.Equal(t, "test", body["version"])
	})

	t.Run("caching_sha2_password account", func(t *testing.T) {
		code, body := postJSON(t, f.adminAddr, "Status", "sha_monitor", "sha-pw", "{}")
		require.Equal(t, 200, code, "%v", body)
		code, body = postJSON(t, f.adminAddr, "Status", "sha_monitor", "mon-pw", "{}")
		require.Equal(t, 401, code, "%v", body)
	})

	t.Run("curl", func(t *testing.T) {
		curl := testutil.RequireTool(t, "curl")
		out, err := exec.CommandContext(ctx, curl, "-sS", "--max-time", "20", "-u", "monitor:mon-pw",
			"-H", "Content-Type: application/json", "-d", "{}",
			"http://"+f.adminAddr+"/guocedb.admin.v1.AdminService/Status").CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), `"version":"test"`)
		require.Contains(t, string(out), fmt.Sprintf(`"format_version":%d`, storage.FormatVersion))
	})

	t.Run("JSON access rules", func(t *testing.T) {
		tests := []struct {
			name, procedure, user, password, body string
			wantHTTP                              int
			wantCode                              string // Connect error code, "" on success
			wantMsg                               string
		}{
			{"no credentials", "Status", "", "", "{}", 401, "unauthenticated", "credentials required"},
			{"wrong password", "Status", "monitor", "nope", "{}", 401, "unauthenticated", "access denied for user 'monitor'"},
			{"unknown user", "Status", "ghost", "x", "{}", 401, "unauthenticated", "access denied"},
			{"empty password of a passworded user", "Status", "monitor", "", "{}", 401, "unauthenticated", "access denied"},
			{"no privilege for status", "Status", "nobody", "nobody-pw", "{}", 403, "permission_denied", "needs one of SUPER or PROCESS"},
			{"no privilege for sessions", "ListSessions", "nobody", "nobody-pw", "{}", 403, "permission_denied", "PROCESS"},
			{"process is not enough to kill", "KillSession", "monitor", "mon-pw", `{"id": 1}`, 403, "permission_denied", "CONNECTION_ADMIN"},
			{"process is not enough to back up", "Backup", "monitor", "mon-pw", "{}", 403, "permission_denied", "BACKUP_ADMIN"},
			{"process is not enough to check", "Check", "monitor", "mon-pw", "{}", 403, "permission_denied", "CLONE_ADMIN"},
			{"health needs no credentials", "Health", "", "", "{}", 200, "", ""},
			{"slow log with process", "SlowLog", "monitor", "mon-pw", `{"limit": 5}`, 200, "", ""},
			{"check", "Check", "cloner", "clone-pw", "{}", 200, "", ""},
			{"unknown session", "KillSession", "operator", "op-pw", `{"id": 999999}`, 404, "not_found", "unknown session id 999999"},
			{"session id required", "KillSession", "operator", "op-pw", `{}`, 400, "invalid_argument", "id"},
			{"malformed JSON", "Status", "monitor", "mon-pw", `{"version":`, 400, "invalid_argument", ""},
			{"unknown field", "Status", "monitor", "mon-pw", `{"bogus": 1}`, 400, "invalid_argument", ""},
			{"malformed JSON is not parsed before authentication", "Status", "monitor", "nope", `{"version":`, 401, "unauthenticated", ""},
			{"request too large", "SlowLog", "monitor", "mon-pw", `{"limit": 1, "x": "` + strings.Repeat("a", 100<<10) + `"}`, 429, "resource_exhausted", ""},
			{"unknown procedure", "DropEverything", "operator", "op-pw", "{}", 404, "not_found", "no such procedure"},
			{"membership changes need super", "AddMember", "monitor", "mon-pw", `{"node_id": "n4", "raft_addr": "127.0.0.1:7104"}`, 403, "permission_denied", "needs one of SUPER"},
			{"removing needs super", "RemoveMember", "cloner", "clone-pw", `{"node_id": "n1"}`, 403, "permission_denied", "SUPER"},
			{"transfer needs super", "TransferLeader", "monitor", "mon-pw", `{"node_id": "n1"}`, 403, "permission_denied", "SUPER"},
			{"a single node has no members to add", "AddMember", "operator", "op-pw", `{"node_id": "n4", "raft_addr": "127.0.0.1:7104"}`, 400, "failed_precondition", "single node"},
			{"a single node has no leader to transfer", "TransferLeader", "operator", "op-pw", `{"node_id": "n1"}`, 400, "failed_precondition", "single node"},
			{"a single node has no members to remove", "RemoveMember", "operator", "op-pw", `{"node_id": "n1"}`, 400, "failed_precondition", "single node"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, body := postJSON(t, f.adminAddr, tt.procedure, tt.user, tt.password, tt.body)
				require.Equal(t, tt.wantHTTP, code, "%v", body)
				if tt.wantCode == "" {
					require.Nil(t, body["code"], "%v", body)
					return
				}
				require.Equal(t, tt.wantCode, body["code"], "%v", body)
				require.Contains(t, body["message"], tt.wantMsg)
				if tt.password != "" {
					require.NotContains(t, body["message"], tt.password, "never echoes the password")
				}
			})
		}
	})

	t.Run("health", func(t *testing.T) {
		code, body := postJSON(t, f.adminAddr, "Health", "", "", "{}")
		require.Equal(t, 200, code)
		require.Equal(t, true, body["live"])
		require.Equal(t, true, body["ready"])
		require.Equal(t, "", body["reason"])
	})

	t.Run("gRPC", func(t *testing.T) {
		conn, err := grpc.NewClient("passthrough:///"+f.adminAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		require.NoError(t, err)
		defer func() { require.NoError(t, conn.Close()) }()
		withAuth := func(user, pw string) context.Context {
			return metadata.AppendToOutgoingContext(ctx, "authorization",
				"Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pw)))
		}
		var st adminv1.StatusResponse
		require.NoError(t, conn.Invoke(withAuth("monitor", "mon-pw"), "/guocedb.admin.v1.AdminService/Status", &adminv1.StatusRequest{}, &st))
		require.Equal(t, "test", st.GetVersion())
		require.EqualValues(t, 2, st.GetTables())
		require.EqualValues(t, storage.FormatVersion, st.GetFormatVersion())

		var sessions adminv1.ListSessionsResponse
		require.NoError(t, conn.Invoke(withAuth("operator", "op-pw"), "/guocedb.admin.v1.AdminService/ListSessions", &adminv1.ListSessionsRequest{}, &sessions))
		require.NotEmpty(t, sessions.GetSessions())

		err = conn.Invoke(withAuth("monitor", "wrong"), "/guocedb.admin.v1.AdminService/Status", &adminv1.StatusRequest{}, &st)
		require.Equal(t, codes.Unauthenticated, status.Code(err), "%v", err)
		err = conn.Invoke(ctx, "/guocedb.admin.v1.AdminService/Status", &adminv1.StatusRequest{}, &st)
		require.Equal(t, codes.Unauthenticated, status.Code(err), "%v", err)
		err = conn.Invoke(withAuth("nobody", "nobody-pw"), "/guocedb.admin.v1.AdminService/Status", &adminv1.StatusRequest{}, &st)
		require.Equal(t, codes.PermissionDenied, status.Code(err), "%v", err)
		require.True(t, strings.Contains(status.Convert(err).Message(), "PROCESS"), "%v", err)

		var health adminv1.HealthResponse
		require.NoError(t, conn.Invoke(ctx, "/guocedb.admin.v1.AdminService/Health", &adminv1.HealthRequest{}, &health))
		require.True(t, health.GetReady())

		// Server streaming over gRPC: the chunks concatenate into a
		// backup file of the served data.
		stream, err := conn.NewStream(withAuth("cloner", "clone-pw"),
			&grpc.StreamDesc{StreamName: "Backup", ServerStreams: true}, "/guocedb.admin.v1.AdminService/Backup")
		require.NoError(t, err)
		require.NoError(t, stream.SendMsg(&adminv1.BackupRequest{Since: 0}))
		require.NoError(t, stream.CloseSend())
		var file bytes.Buffer
		for {
			var chunk adminv1.BackupChunk
			err := stream.RecvMsg(&chunk)
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			file.Write(chunk.GetData())
		}
		m, err := backup.ReadManifest(&file)
		require.NoError(t, err)
		require.Equal(t, "test", m.SourceVersion)
		require.False(t, m.Incremental())
	})
}
