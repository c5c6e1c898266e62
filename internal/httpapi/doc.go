// Package httpapi owns guocedb's HTTP endpoints: /healthz (liveness),
// /readyz (readiness), /metrics (Prometheus) and /status (a JSON summary,
// the Status type, which other front ends reuse); it mounts the web
// console's handler (internal/console) under /ui/.
//
// It builds an http.Handler only. It must not bind listeners, own the
// lifecycle or reach into storage: what it reports comes in through small
// interfaces (ReadinessChecker, StatusSource, an http.Handler for metrics)
// supplied by internal/server.
package httpapi
