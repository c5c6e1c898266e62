package datasource_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/guocedb/guocedb/internal/exporter/config"
	"github.com/guocedb/guocedb/internal/exporter/datasource"
	"github.com/guocedb/guocedb/internal/exporter/testutil"
)

func TestDetectFlavor(t *testing.T) {
	tests := []struct{ version, comment, want string }{
		{"10.11.19-MariaDB-0+deb12u1", "Debian 12", config.FlavorMariaDB},
		{"8.0.36", "MySQL Community Server - GPL", config.FlavorMySQL},
		{"8.0.31", "guocedb 0.1", config.FlavorGuocedb},
		{"8.0.11-guocedb", "", config.FlavorGuocedb},
		{"5.7.44-log", "", config.FlavorMySQL},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			require.Equal(t, tc.want, datasource.DetectFlavor(tc.version, tc.comment))
		})
	}
}

func source(spec testutil.SourceSpec) config.Source {
	return config.Source{
		Name: spec.Name, Host: spec.Host, User: spec.User, Password: spec.Password,
		QueryTimeout: 2 * time.Second, MaxOpenConns: 2, MaxIdleConns: 1,
		HealthCheckInterval: 200 * time.Millisecond, Flavor: config.FlavorAuto,
	}
}

func TestHealthCheck(t *testing.T) {
	m := testutil.StartMariaDB(t)
	live := m.CreateUser(t, "live", "u1", "pw1", "d1")
	dead, err := testutil.SourceFromDSN("dead", "u:p@tcp("+testutil.DeadAddr(t)+")/")
	require.NoError(t, err)
	wrongPw := live
	wrongPw.Name, wrongPw.Password = "wrongpw", "nope"
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	tests := []struct {
		spec   testutil.SourceSpec
		want   datasource.State
		flavor string
	}{
		{live, datasource.StateUp, config.FlavorMariaDB},
		{dead, datasource.StateDown, ""},
		{wrongPw, datasource.StateDown, ""},
	}
	for _, tc := range tests {
		t.Run(tc.spec.Name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			s, err := datasource.Open(source(tc.spec), logger)
			require.NoError(t, err)
			st, _ := s.State()
			require.Equal(t, datasource.StateUnknown, st)
			s.Start()
			testutil.WaitFor(t, 10*time.Second, 50*time.Millisecond, "health state "+tc.want.String(), func() bool {
				st, _ := s.State()
				return st == tc.want
			})
			if tc.flavor != "" {
				f, v, err := s.Flavor(context.Background())
				require.NoError(t, err)
				require.Equal(t, tc.flavor, f)
				require.Contains(t, v, "MariaDB")
			} else {
				_, err := s.State()
				require.NotNil(t, err)
			}
			require.NoError(t, s.Close())
		})
	}

	t.Run("expired caller deadline does not mark a source down", func(t *testing.T) {
		s, err := datasource.Open(source(live), logger)
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		require.NoError(t, s.Ping(context.Background()))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.Error(t, s.Ping(ctx))
		st, _ := s.State()
		require.Equal(t, datasource.StateUp, st)
	})
}

func TestDSN(t *testing.T) {
	dsn := datasource.DSN(config.Source{Host: "127.0.0.1:3306", User: "u", Password: "p@ss:w/rd", DBName: "db", QueryTimeout: 3 * time.Second})
	require.Contains(t, dsn, "u:p@ss:w/rd@tcp(127.0.0.1:3306)/db")
	require.Contains(t, dsn, "timeout=3s")
	require.Contains(t, dsn, "interpolateParams=true")
}
