package web_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/guocedb/guocedb/internal/exporter/app"
	"github.com/guocedb/guocedb/internal/exporter/testutil"
	"github.com/guocedb/guocedb/internal/exporter/web"
)

func TestDeadline(t *testing.T) {
	sc := app.ScrapeConfig{Fraction: 0.9, Max: 30 * time.Second, Default: 10 * time.Second}
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 10 * time.Second},
		{"10", 9 * time.Second},
		{"2.5", 2250 * time.Millisecond},
		{"120", 30 * time.Second},
		{"junk", 10 * time.Second},
		{"-3", 10 * time.Second},
		{"0", 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.header, func(t *testing.T) {
			require.Equal(t, tc.want, web.Deadline(tc.header, sc))
		})
	}
	t.Run("default is capped too", func(t *testing.T) {
		require.Equal(t, 5*time.Second, web.Deadline("", app.ScrapeConfig{Fraction: 1, Max: 5 * time.Second, Default: 10 * time.Second}))
	})
}

func request(t *testing.T, method, url, user, pass string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	require.NoError(t, err)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestBasicAuth(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	require.NoError(t, err)
	dir := t.TempDir()
	webCfg := testutil.WriteFile(t, dir, "web.yml", "basic_auth_users:\n  prom: "+string(hash)+"\n")
	dead, err := testutil.SourceFromDSN("dead", "u:p@tcp("+testutil.DeadAddr(t)+")/")
	require.NoError(t, err)
	cfg := testutil.WriteFile(t, dir, "exporter.toml", "webConfigFile = \"web.yml\"\n"+testutil.SourceTOML(dead))
	require.NoError(t, web.ValidateWebConfig(webCfg))
	e := testutil.StartExporter(t, cfg)

	tests := []struct {
		name, method, path, user, pass string
		want                           int
	}{
		{"metrics without credentials", http.MethodGet, "/metrics", "", "", http.StatusUnauthorized},
		{"metrics with wrong password", http.MethodGet, "/metrics", "prom", "nope", http.StatusUnauthorized},
		{"stored hash is not a password", http.MethodGet, "/metrics", "prom", string(hash), http.StatusUnauthorized},
		{"unknown user", http.MethodGet, "/metrics", "other", "s3cret", http.StatusUnauthorized},
		{"metrics with password", http.MethodGet, "/metrics", "prom", "s3cret", http.StatusOK},
		{"reload without credentials", http.MethodPost, "/-/reload", "", "", http.StatusUnauthorized},
		{"reload with password", http.MethodPost, "/-/reload", "prom", "s3cret", http.StatusOK},
		{"unknown path", http.MethodGet, "/nope", "prom", "s3cret", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, request(t, tc.method, e.URL+tc.path, tc.user, tc.pass))
		})
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, pool := testutil.SelfSignedCert(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	require.NoError(t, err)
	testutil.WriteFile(t, dir, "web.yml", "tls_server_config:\n  cert_file: "+certPath+"\n  key_file: "+keyPath+
		"\nbasic_auth_users:\n  prom: "+string(hash)+"\n")
	dead, err := testutil.SourceFromDSN("dead", "u:p@tcp("+testutil.DeadAddr(t)+")/")
	require.NoError(t, err)
	e := testutil.StartExporter(t, testutil.WriteFile(t, dir, "exporter.toml", "webConfigFile = \"web.yml\"\n"+testutil.SourceTOML(dead)))

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	tests := []struct {
		name       string
		url        string
		user, pass string
		want       int
	}{
		{"https with password", "https://" + e.Addr + "/metrics", "prom", "s3cret", http.StatusOK},
		{"https without password", "https://" + e.Addr + "/metrics", "", "", http.StatusUnauthorized},
		{"plain http refused", "http://" + e.Addr + "/metrics", "prom", "s3cret", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, tc.url, nil)
			require.NoError(t, err)
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.pass)
			}
			resp, err := client.Do(req)
			require.NoError(t, err)
			_ = resp.Body.Close()
			require.Equal(t, tc.want, resp.StatusCode)
		})
	}
}
