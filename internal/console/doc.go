// Package console serves guocedb's built-in web console under /ui/ on the
// HTTP address: an overview (version, uptime, throughput, latency
// percentiles, connections, data size, errors, and graphs of the last
// hour), the sessions with kill, statement digests, the slow query log,
// tables, backups, and placeholders for locks and cluster.
//
// It owns the pages (HTML, CSS and JavaScript embedded with go:embed, no
// external resources), the JSON endpoints behind them, console logins
// (server-side sessions, HttpOnly SameSite=Strict cookies, CSRF tokens)
// and the in-process ring buffer of samples behind the graphs (Sampler).
// Accounts and privileges are the MySQL ones, checked through the admin
// API's Accounts interface (the same check the admin API runs); every
// other datum comes in through a small interface implemented where it
// lives (internal/server wires them). It must not bind listeners, read
// configuration or reach into storage.
package console
