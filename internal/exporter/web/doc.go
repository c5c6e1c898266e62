// Package web serves the exporter over HTTP: the metrics endpoint with the
// scrape deadline taken from X-Prometheus-Scrape-Timeout-Seconds, POST
// /-/reload, /-/healthy and a landing page. TLS and basic auth come from an
// exporter-toolkit web configuration file and cover every endpoint,
// /-/reload included.
//
// It must not know how metrics are collected: it talks to an Exporter.
package web
