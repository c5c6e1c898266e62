package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHandler(t *testing.T) {
	notReady := ReadinessFunc(func(context.Context) error { return errors.New("storage not open") })
	ready := ReadinessFunc(func(context.Context) error { return nil })
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "m 1\n") })
	status := StatusFunc(func(context.Context) (Status, error) { return Status{Version: "v1", Tables: 2}, nil })
	noStatus := StatusFunc(func(context.Context) (Status, error) { return Status{}, errors.New("storage is not open") })

	tests := []struct {
		name     string
		opts     Options
		method   string
		path     string
		wantCode int
		wantBody string
	}{
		{"healthz while not ready", Options{Readiness: notReady}, "GET", "/healthz", 200, "ok\n"},
		{"readyz not ready", Options{Readiness: notReady}, "GET", "/readyz", 503, "not ready: storage not open\n"},
		{"readyz without checker", Options{}, "GET", "/readyz", 503, "not ready: no readiness check\n"},
		{"readyz ready", Options{Readiness: ready}, "GET", "/readyz", 200, "ready\n"},
		{"metrics absent", Options{Readiness: ready}, "GET", "/metrics", 404, ""},
		{"metrics present", Options{Metrics: metrics}, "GET", "/metrics", 200, "m 1\n"},
		{"post refused", Options{Readiness: ready}, "POST", "/healthz", 405, ""},
		{"status absent", Options{Readiness: ready}, "GET", "/status", 404, ""},
		{"status post refused", Options{Status: status}, "POST", "/status", 405, ""},
		{"status unavailable", Options{Status: noStatus}, "GET", "/status", 503, "{\n  \"error\": \"storage is not open\"\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			NewHandler(tt.opts).ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			require.Equal(t, tt.wantCode, rec.Code)
			if tt.wantBody != "" {
				require.Equal(t, tt.wantBody, rec.Body.String())
			}
		})
	}
}

func TestStatusJSON(t *testing.T) {
	src := StatusFunc(func(context.Context) (Status, error) {
		return Status{Version: "v1", FormatVersion: 1, Databases: 1, Tables: 2,
			DataSize: DataSize{LSMBytes: 1, VLogBytes: 2, TotalBytes: 3}, Connections: Connections{Open: 4}}, nil
	})
	rec := httptest.NewRecorder()
	NewHandler(Options{Status: src}).ServeHTTP(rec, httptest.NewRequest("GET", "/status", nil))
	require.Equal(t, 200, rec.Code)
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var got map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Equal(t, "v1", got["version"])
	require.Equal(t, float64(2), got["tables"])
	require.Equal(t, map[string]any{"lsm_bytes": float64(1), "vlog_bytes": float64(2), "total_bytes": float64(3)}, got["data_size"])
	require.Equal(t, float64(4), got["connections"].(map[string]any)["open"])
	for _, key := range []string{"go_version", "start_time", "uptime_seconds", "ready", "data_dir", "format_version", "databases", "statements"} {
		require.Contains(t, got, key)
	}
}
