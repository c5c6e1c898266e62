package httpapi

import (
	"context"
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
