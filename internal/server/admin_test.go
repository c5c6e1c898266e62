package server_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/server"
)

func TestAdminListener(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	t.Run("serves health and closes at stop", func(t *testing.T) {
		s, err := server.New(testConfig(t), discard())
		require.NoError(t, err)
		require.NoError(t, s.Start(ctx))
		addr := s.AdminAddr()
		require.NotEmpty(t, addr)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/guocedb.admin.v1.AdminService/Health", strings.NewReader("{}"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode)

		require.NoError(t, s.Stop(ctx))
		_, err = net.DialTimeout("tcp", addr, time.Second)
		require.Error(t, err, "admin listener closed")
	})

	t.Run("empty admin-addr disables it", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.AdminAddr = ""
		s, err := server.New(cfg, discard())
		require.NoError(t, err)
		require.NoError(t, s.Start(ctx))
		require.Empty(t, s.AdminAddr())
		// Start returns once the modules run; the MySQL listener marks
		// itself serving from its own goroutine just after.
		require.Eventually(t, func() bool { return s.Ready(ctx) == nil }, 10*time.Second, 10*time.Millisecond)
		require.NoError(t, s.Stop(ctx))
	})

	t.Run("port in use fails the start readably", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.AdminAddr = occupied(t)
		err := server.Run(ctx, cfg, discard())
		require.Error(t, err)
		require.Contains(t, err.Error(), "admin")
		require.Contains(t, err.Error(), "already in use")
	})
}
