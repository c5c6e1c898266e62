// Package app wires a configuration into a running exporter: a Runtime is
// one complete, immutable set of pools, targets and registries built from
// one configuration; App holds the current Runtime and replaces it
// atomically on reload (SIGHUP or POST /-/reload), keeping the old one when
// the new configuration fails to load or build.
//
// Ordering: a new Runtime is fully built before the swap; the old one is
// closed only after the swap and after its in-flight scrapes finish (they
// are bounded by the scrape deadline).
package app
