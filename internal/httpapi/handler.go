package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// ReadinessChecker reports whether the server can take SQL traffic. Ready
// returns nil when it can, otherwise an error saying what is missing. It
// is called concurrently from HTTP handlers and must be cheap and safe
// for concurrent use.
type ReadinessChecker interface {
	Ready(ctx context.Context) error
}

// ReadinessFunc adapts a function to ReadinessChecker.
type ReadinessFunc func(ctx context.Context) error

// Ready calls f.
func (f ReadinessFunc) Ready(ctx context.Context) error { return f(ctx) }

// Options configures the handler.
type Options struct {
	// Readiness decides /readyz; nil means never ready.
	Readiness ReadinessChecker
	// Metrics, when set, is served at /metrics.
	Metrics http.Handler
	// Status, when set, is served at /status as JSON.
	Status StatusSource
	// Console, when set, is the web console, served under /ui/.
	Console http.Handler
}

// readyTimeout bounds one readiness check so a stuck check cannot pile up
// handler goroutines.
const readyTimeout = 2 * time.Second

// NewHandler returns the HTTP handler:
//
//	GET /healthz  200 "ok" while the process serves HTTP at all
//	GET /readyz   200 "ready" when Readiness says so, else 503 with the reason
//	GET /metrics  Options.Metrics, when set
//	GET /status   Options.Status as JSON, when set (503 when it fails)
//	/ui/...       Options.Console, when set (it checks its own methods)
func NewHandler(opts Options) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if opts.Readiness == nil {
			writeText(w, http.StatusServiceUnavailable, "not ready: no readiness check")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := opts.Readiness.Ready(ctx); err != nil {
			writeText(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
		writeText(w, http.StatusOK, "ready")
	})
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", opts.Metrics)
	}
	if opts.Status != nil {
		mux.HandleFunc("GET /status", serveStatus(opts.Status))
	}
	if opts.Console != nil {
		mux.Handle("/ui/", opts.Console)
		mux.Handle("/ui", opts.Console)
	}
	return mux
}

func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = fmt.Fprintln(w, body)
}
