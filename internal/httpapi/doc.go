// Package httpapi owns guocedb's HTTP endpoints: /healthz (liveness) and
// /readyz (readiness), with room for /metrics and status pages.
//
// It builds an http.Handler only. It must not bind listeners, own the
// lifecycle or reach into storage: what it reports comes in through small
// interfaces (ReadinessChecker) supplied by internal/server.
package httpapi
