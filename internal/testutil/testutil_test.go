package testutil

import (
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFreePort(t *testing.T) {
	for i := 0; i < 3; i++ {
		port := FreePort(t)
		require.Greater(t, port, 0)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		require.NoError(t, err, "port %d should be bindable", port)
		require.NoError(t, ln.Close())
	}
	// Never the same port twice (a cluster's addresses must differ).
	seen := map[int]bool{}
	for i := 0; i < 200; i++ {
		port := FreePort(t)
		require.False(t, seen[port], "port %d handed out twice", port)
		seen[port] = true
	}
}

func TestDSN(t *testing.T) {
	tests := []struct{ user, pw, addr, db, want string }{
		{"root", "", "127.0.0.1:3306", "", "root:@tcp(127.0.0.1:3306)/?multiStatements=true&parseTime=true&interpolateParams=false"},
		{"u", "p", "127.0.0.1:1", "sbtest", "u:p@tcp(127.0.0.1:1)/sbtest?multiStatements=true&parseTime=true&interpolateParams=false"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, DSN(tt.user, tt.pw, tt.addr, tt.db))
	}
}

func TestRequireToolFindsSh(t *testing.T) {
	require.NotEmpty(t, RequireTool(t, "sh"))
}

func TestCleanEnvDropsGuocedbVars(t *testing.T) {
	t.Setenv("GUOCEDB_DATA_DIR", "/nowhere")
	for _, kv := range CleanEnv() {
		require.NotContains(t, kv, "GUOCEDB_")
	}
}
