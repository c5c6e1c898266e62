package collector

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guocedb/guocedb/internal/exporter/config"
)

// Strategy settings of a Fleet.
type Strategy struct {
	// Mode is config.StrategyConcurrent, StrategySerial or StrategyHybrid.
	Mode string
	// MaxConcurrentGroups bounds how many priority groups run at once in
	// hybrid mode; 1 runs them strictly in priority order.
	MaxConcurrentGroups int
	// GroupTimeout bounds one priority group in hybrid mode (the scrape
	// deadline bounds it too).
	GroupTimeout time.Duration
}

// Fleet collects every target under one deadline.
type Fleet struct {
	ns       string
	targets  []*Target
	strategy Strategy
	logger   *slog.Logger

	durationDesc *prometheus.Desc
	deadlineDesc *prometheus.Desc
}

// NewFleet groups targets for collection.
func NewFleet(ns string, targets []*Target, s Strategy, logger *slog.Logger) *Fleet {
	return &Fleet{
		ns:       ns,
		targets:  targets,
		strategy: s,
		logger:   logger,
		durationDesc: prometheus.NewDesc(ns+"_scrape_duration_seconds",
			"Time spent collecting all datasources.", nil, nil),
		deadlineDesc: prometheus.NewDesc(ns+"_scrape_deadline_seconds",
			"Deadline the collection of all datasources had.", nil, nil),
	}
}

// Targets returns the targets in configuration order.
func (f *Fleet) Targets() []*Target { return f.targets }

// Collect runs every target with the configured strategy and returns all
// metrics gathered before ctx ended.
func (f *Fleet) Collect(ctx context.Context) []prometheus.Metric {
	start := time.Now()
	results := make([][]prometheus.Metric, len(f.targets))
	switch f.strategy.Mode {
	case config.StrategySerial:
		for i, t := range f.targets {
			results[i] = t.Collect(ctx)
		}
	case config.StrategyHybrid:
		f.collectHybrid(ctx, results)
	default:
		runAll(ctx, f.targets, indexes(len(f.targets)), results)
	}
	var out []prometheus.Metric
	for _, r := range results {
		out = append(out, r...)
	}
	out = append(out, constMetric(f.durationDesc, prometheus.GaugeValue, time.Since(start).Seconds()))
	if dl, ok := ctx.Deadline(); ok {
		out = append(out, constMetric(f.deadlineDesc, prometheus.GaugeValue, dl.Sub(start).Seconds()))
	}
	return out
}

// runAll collects the targets at idx concurrently into results. Each
// Target.Collect returns by ctx's deadline, so this does too.
func runAll(ctx context.Context, targets []*Target, idx []int, results [][]prometheus.Metric) {
	var wg sync.WaitGroup
	for _, i := range idx {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = targets[i].Collect(ctx)
		}()
	}
	wg.Wait()
}

// collectHybrid runs priority groups (lowest priority value first), at most
// MaxConcurrentGroups at once, each bounded by GroupTimeout; inside a group
// all sources run concurrently.
func (f *Fleet) collectHybrid(ctx context.Context, results [][]prometheus.Metric) {
	groups := map[int][]int{}
	for i, t := range f.targets {
		groups[t.Priority()] = append(groups[t.Priority()], i)
	}
	prios := make([]int, 0, len(groups))
	for p := range groups {
		prios = append(prios, p)
	}
	sort.Ints(prios)
	sem := make(chan struct{}, max(f.strategy.MaxConcurrentGroups, 1))
	var wg sync.WaitGroup
	for _, p := range prios {
		acquired := true
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			// Groups not started by the deadline run with the expired
			// context: they report failed at once, without a slot.
			acquired = false
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if acquired {
				defer func() { <-sem }()
			}
			gctx, cancel := context.WithTimeout(ctx, f.strategy.GroupTimeout)
			defer cancel()
			runAll(gctx, f.targets, groups[p], results)
		}()
	}
	wg.Wait()
}

func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// ScrapeCollector adapts one scrape of a Fleet to prometheus.Collector. It
// is unchecked (Describe sends nothing) because family names depend on
// the servers' answers; create one per HTTP request with that request's
// deadline, and register it on a fresh registry.
type ScrapeCollector struct {
	ctx   context.Context
	fleet *Fleet
}

// NewScrapeCollector binds fleet to one scrape's context.
func NewScrapeCollector(ctx context.Context, fleet *Fleet) *ScrapeCollector {
	return &ScrapeCollector{ctx: ctx, fleet: fleet}
}

// Describe implements prometheus.Collector (unchecked collector).
func (*ScrapeCollector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (s *ScrapeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range s.fleet.Collect(s.ctx) {
		ch <- m
	}
}
