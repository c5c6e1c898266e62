package collector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guocedb/guocedb/internal/exporter/custom"
	"github.com/guocedb/guocedb/internal/exporter/datasource"
)

// Scraper is one metric group of one datasource. Scrape must honour ctx
// and emit only metrics built from the Target's descriptors. Concurrent
// calls for different scrapes may happen (overlapping HTTP requests).
type Scraper interface {
	Name() string
	// AppliesTo reports whether the group exists on a server of flavor.
	AppliesTo(flavor string) bool
	Scrape(ctx context.Context, t *Target, flavor string, emit func(prometheus.Metric)) error
}

// Target collects one datasource.
type Target struct {
	src         *datasource.Source
	ns          string
	constLabels prometheus.Labels
	scrapers    []Scraper

	upDesc, durDesc, successDesc           *prometheus.Desc
	collectorDurDesc, collectorSuccessDesc *prometheus.Desc
	errorsTotal                            *prometheus.CounterVec

	descMu sync.Mutex
	descs  map[string]*prometheus.Desc
}

// NewTarget builds the descriptors and scrapers of src. metrics are the
// source's custom metrics (already validated). Long-lived metrics
// (counters) are registered on reg wrapped with the source's const labels.
func NewTarget(src *datasource.Source, ns string, metrics []custom.Metric, reg prometheus.Registerer) (*Target, error) {
	cfg := src.Config()
	cl := prometheus.Labels{"datasource": cfg.Name}
	for k, v := range cfg.Labels {
		cl[k] = v
	}
	t := &Target{
		src:         src,
		ns:          ns,
		constLabels: cl,
		descs:       map[string]*prometheus.Desc{},
		upDesc: prometheus.NewDesc(ns+"_datasource_up",
			"Whether the datasource answered a ping during this scrape (1) or not (0).", nil, cl),
		durDesc: prometheus.NewDesc(ns+"_datasource_scrape_duration_seconds",
			"Time spent collecting the datasource.", nil, cl),
		successDesc: prometheus.NewDesc(ns+"_datasource_scrape_success",
			"Whether the datasource was up and every collector succeeded.", nil, cl),
		collectorDurDesc: prometheus.NewDesc(ns+"_collector_scrape_duration_seconds",
			"Time spent in one collector of the datasource.", []string{"collector"}, cl),
		collectorSuccessDesc: prometheus.NewDesc(ns+"_collector_scrape_success",
			"Whether the collector of the datasource succeeded within the deadline.", []string{"collector"}, cl),
	}
	t.errorsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: ns,
		Name:      "datasource_scrape_errors_total",
		Help:      "Failed collector runs of the datasource, by collector.",
	}, []string{"collector"})
	if err := prometheus.WrapRegistererWith(cl, reg).Register(t.errorsTotal); err != nil {
		return nil, fmt.Errorf("datasource %q: register counters: %w", cfg.Name, err)
	}

	if cfg.RegisterGlobalStatus {
		t.scrapers = append(t.scrapers, globalStatus{})
	}
	if cfg.RegisterGlobalVariables {
		t.scrapers = append(t.scrapers, newCached(globalVariables{}, cfg.VariablesCacheTime))
	}
	if cfg.RegisterProcesslist {
		t.scrapers = append(t.scrapers, processlist{})
	}
	if cfg.RegisterTableSizes {
		t.scrapers = append(t.scrapers, newCached(tableSizes{}, cfg.TableSizesCacheTime))
	}
	if cfg.CheckSlowSQL {
		t.scrapers = append(t.scrapers, slowSQL{})
	}
	if cfg.RegisterReplication {
		t.scrapers = append(t.scrapers, replication{})
	}
	if cfg.RegisterGuocedb {
		t.scrapers = append(t.scrapers, guocedbStatus{})
	}
	if cfg.RegisterCustom {
		for _, m := range metrics {
			t.scrapers = append(t.scrapers, newCustomScraper(m))
		}
	}
	return t, nil
}

// Name is the datasource name.
func (t *Target) Name() string { return t.src.Name() }

// Priority is the datasource's priority (hybrid strategy groups).
func (t *Target) Priority() int { return t.src.Config().Priority }

// desc returns the cached descriptor for a dynamically named family. One
// name always gets the same help and label names within a Target.
func (t *Target) desc(name, help string, labels ...string) *prometheus.Desc {
	t.descMu.Lock()
	defer t.descMu.Unlock()
	d, ok := t.descs[name]
	if !ok {
		d = prometheus.NewDesc(name, help, labels, t.constLabels)
		t.descs[name] = d
	}
	return d
}

type scrapeResult struct {
	name     string
	metrics  []prometheus.Metric
	err      error
	duration time.Duration
}

// Collect scrapes the datasource until every collector is done or ctx ends,
// whichever comes first, and returns the metrics. It never blocks past ctx.
func (t *Target) Collect(ctx context.Context) []prometheus.Metric {
	start := time.Now()
	log := t.src.Logger()
	var out []prometheus.Metric
	finish := func(up, success bool) []prometheus.Metric {
		return append(out,
			constMetric(t.upDesc, prometheus.GaugeValue, b2f(up)),
			constMetric(t.durDesc, prometheus.GaugeValue, time.Since(start).Seconds()),
			constMetric(t.successDesc, prometheus.GaugeValue, b2f(success)))
	}

	// A source known to be down is not dialled again here: the health loop
	// retries it with backoff, so a dead address costs the scrape nothing.
	if state, err := t.src.State(); state == datasource.StateDown {
		log.Debug("datasource skipped, health check reports down", "err", err)
		return finish(false, false)
	}
	if err := t.src.Ping(ctx); err != nil {
		log.Warn("datasource ping failed", "err", err)
		t.errorsTotal.WithLabelValues("ping").Inc()
		return finish(false, false)
	}
	flavor, _, err := t.src.Flavor(ctx)
	if err != nil {
		log.Warn("flavor detection failed", "err", err)
		t.errorsTotal.WithLabelValues("flavor").Inc()
		return finish(true, false)
	}

	var run []Scraper
	for _, s := range t.scrapers {
		if s.AppliesTo(flavor) {
			run = append(run, s)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan scrapeResult, len(run)) // buffered: late senders never block
	for _, s := range run {
		go func() {
			began := time.Now()
			var ms []prometheus.Metric
			err := s.Scrape(ctx, t, flavor, func(m prometheus.Metric) { ms = append(ms, m) })
			results <- scrapeResult{name: s.Name(), metrics: ms, err: err, duration: time.Since(began)}
		}()
	}

	success := true
	done := map[string]bool{}
wait:
	for range run {
		select {
		case r := <-results:
			done[r.name] = true
			ok := r.err == nil
			if ok {
				out = append(out, r.metrics...)
			} else {
				success = false
				t.errorsTotal.WithLabelValues(r.name).Inc()
				log.Warn("collector failed", "collector", r.name, "err", r.err, "duration", r.duration)
			}
			out = append(out,
				constMetric(t.collectorDurDesc, prometheus.GaugeValue, r.duration.Seconds(), r.name),
				constMetric(t.collectorSuccessDesc, prometheus.GaugeValue, b2f(ok), r.name))
		case <-ctx.Done():
			break wait
		}
	}
	for _, s := range run {
		if done[s.Name()] {
			continue
		}
		success = false
		t.errorsTotal.WithLabelValues(s.Name()).Inc()
		log.Warn("collector missed the scrape deadline", "collector", s.Name(), "duration", time.Since(start))
		out = append(out,
			constMetric(t.collectorDurDesc, prometheus.GaugeValue, time.Since(start).Seconds(), s.Name()),
			constMetric(t.collectorSuccessDesc, prometheus.GaugeValue, 0, s.Name()))
	}
	return finish(true, success)
}

// queryRows runs q under the source's query timeout and returns the
// column names (lower-cased) and rows as nullable text. Intended for
// bounded administrative results (SHOW, information_schema with LIMIT).
func (t *Target) queryRows(ctx context.Context, q string, args ...any) ([]string, [][]sql.NullString, error) {
	ctx, cancel := context.WithTimeout(ctx, t.src.Config().QueryTimeout)
	defer cancel()
	rows, err := t.src.DB().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", firstWords(q), err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", firstWords(q), err)
	}
	for i := range cols {
		cols[i] = strings.ToLower(cols[i])
	}
	var out [][]sql.NullString
	for rows.Next() {
		row := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, fmt.Errorf("%s: scan: %w", firstWords(q), err)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", firstWords(q), err)
	}
	return cols, out, nil
}

func firstWords(q string) string {
	f := strings.Fields(q)
	if len(f) > 4 {
		f = f[:4]
	}
	return strings.Join(f, " ")
}

var nonMetricChars = regexp.MustCompile(`[^a-z0-9_]+`)

// metricName lower-cases s and replaces characters Prometheus does not
// accept in a metric name.
func metricName(s string) string {
	return nonMetricChars.ReplaceAllString(strings.ToLower(s), "_")
}

// parseValue converts a status or variable value to a number: numbers as
// they are, ON/YES/TRUE as 1, OFF/NO/FALSE as 0; anything else is not a
// metric.
func parseValue(s string) (float64, bool) {
	if v, err := parseFloat(s); err == nil {
		return v, true
	}
	switch strings.ToUpper(s) {
	case "ON", "YES", "TRUE", "ENABLED":
		return 1, true
	case "OFF", "NO", "FALSE", "DISABLED":
		return 0, true
	}
	return 0, false
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// cached wraps a scraper whose values change slowly; it re-emits the last
// successful result until ttl has passed. A zero ttl disables caching.
type cached struct {
	inner Scraper
	ttl   time.Duration

	mu   sync.Mutex
	at   time.Time
	last []prometheus.Metric
}

func newCached(s Scraper, ttl time.Duration) Scraper {
	if ttl <= 0 {
		return s
	}
	return &cached{inner: s, ttl: ttl}
}

func (c *cached) Name() string                 { return c.inner.Name() }
func (c *cached) AppliesTo(flavor string) bool { return c.inner.AppliesTo(flavor) }

func (c *cached) Scrape(ctx context.Context, t *Target, flavor string, emit func(prometheus.Metric)) error {
	c.mu.Lock()
	if c.last != nil && time.Since(c.at) < c.ttl {
		last := c.last
		c.mu.Unlock()
		for _, m := range last {
			emit(m)
		}
		return nil
	}
	c.mu.Unlock()
	var ms []prometheus.Metric
	if err := c.inner.Scrape(ctx, t, flavor, func(m prometheus.Metric) { ms = append(ms, m) }); err != nil {
		return err
	}
	c.mu.Lock()
	c.last, c.at = ms, time.Now()
	c.mu.Unlock()
	for _, m := range ms {
		emit(m)
	}
	return nil
}

// errNoRows is returned by a custom metric without rows and without
// ignorezeroresult.
var errNoRows = errors.New("query returned no rows")

// constMetric is prometheus.NewConstMetric that never panics: a mismatch
// becomes an invalid metric, which the registry reports as an error for
// that metric alone while the rest of the scrape is served.
func constMetric(d *prometheus.Desc, vt prometheus.ValueType, v float64, lvs ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, vt, v, lvs...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}
