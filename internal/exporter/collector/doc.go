// Package collector turns datasources into Prometheus metrics. A Target
// owns the metric descriptors of one datasource (the datasource name and
// its configured labels are const labels of every Desc), its scrapers
// (built-in groups and custom metrics) and their caches; a Fleet runs all
// targets under one deadline with the configured strategy (concurrent,
// serial, hybrid).
//
// A failing query, scraper or datasource never fails the scrape: the
// failure becomes a metric (<ns>_collector_scrape_success,
// <ns>_datasource_up, <ns>_datasource_scrape_errors_total) and a log line
// tagged datasource=<name>, and every other metric is still served. Work
// that misses the deadline is abandoned (its context is cancelled) and
// reported as failed; Collect never waits past the deadline.
//
// It must not own pools or HTTP: datasources come from package datasource,
// and the web package decides the deadline.
package collector
