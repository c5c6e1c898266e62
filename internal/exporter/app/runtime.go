package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guocedb/guocedb/internal/exporter/collector"
	"github.com/guocedb/guocedb/internal/exporter/config"
	"github.com/guocedb/guocedb/internal/exporter/custom"
	"github.com/guocedb/guocedb/internal/exporter/datasource"
)

// Runtime is everything built from one configuration. It is immutable
// after Build except for Close.
type Runtime struct {
	Config *config.Config
	Fleet  *collector.Fleet
	// registries hold long-lived per-source metrics (error counters), one
	// registry per source: sources may carry different const label names,
	// which one registry would reject for the same family.
	registries prometheus.Gatherers

	sources []*datasource.Source
	// inflight is read-locked by every scrape; Close write-locks it so
	// pools are not closed under a running scrape.
	inflight sync.RWMutex
}

// LoadCustom reads every distinct custom metrics file referenced by the
// enabled sources and checks them against each other. The result maps file
// path to metrics.
func LoadCustom(cfg *config.Config) (map[string][]custom.Metric, error) {
	files := map[string][]custom.Metric{}
	var all []custom.Metric
	var errs []error
	for _, s := range cfg.EnabledSources() {
		p := s.CustomMetricsFile
		if p == "" || !s.RegisterCustom {
			continue
		}
		if ms, done := files[p]; done {
			errs = append(errs, labelClashes(s, ms)...)
			continue
		}
		ms, err := custom.LoadFile(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("datasource %q: key \"customMetricsFile\": %w", s.Name, err))
			files[p] = nil
			continue
		}
		files[p] = ms
		all = append(all, ms...)
		errs = append(errs, labelClashes(s, ms)...)
	}
	if err := custom.CheckConsistency(cfg.Namespace, all); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return files, nil
}

// labelClashes reports custom metric labels that are also configured
// const labels of the source: Prometheus rejects such a descriptor.
func labelClashes(s config.Source, ms []custom.Metric) []error {
	var errs []error
	for _, m := range ms {
		for _, l := range m.Labels {
			if _, clash := s.Labels[l]; clash {
				errs = append(errs, fmt.Errorf("datasource %q: key \"customMetricsFile\": metric %q (%s) uses label %q, which is also in the datasource's labels",
					s.Name, m.Context, m.File, l))
			}
		}
	}
	return errs
}

// Build opens a pool per enabled source, builds targets and starts the
// health checks. On error everything already opened is closed.
func Build(cfg *config.Config, logger *slog.Logger) (*Runtime, error) {
	files, err := LoadCustom(cfg)
	if err != nil {
		return nil, err
	}
	rt := &Runtime{Config: cfg}
	var targets []*collector.Target
	for _, sc := range cfg.EnabledSources() {
		src, err := datasource.Open(sc, logger)
		if err != nil {
			return nil, errors.Join(err, rt.closeSources())
		}
		rt.sources = append(rt.sources, src)
		var ms []custom.Metric
		if sc.RegisterCustom {
			ms = files[sc.CustomMetricsFile]
		}
		reg := prometheus.NewRegistry()
		rt.registries = append(rt.registries, reg)
		t, err := collector.NewTarget(src, cfg.Namespace, ms, reg)
		if err != nil {
			return nil, errors.Join(err, rt.closeSources())
		}
		targets = append(targets, t)
	}
	rt.Fleet = collector.NewFleet(cfg.Namespace, targets, collector.Strategy{
		Mode:                cfg.CollectStrategy,
		MaxConcurrentGroups: cfg.MaxConcurrentGroups,
		GroupTimeout:        cfg.GroupTimeout,
	}, logger)
	// Health loops start last: nothing can fail after this point.
	for _, s := range rt.sources {
		s.Start()
	}
	return rt, nil
}

// Gatherer returns the gatherer for one scrape bounded by ctx: the
// long-lived registry plus a fresh registry holding this scrape's
// collection. The caller must call release when the response is written.
func (r *Runtime) Gatherer(ctx context.Context) (prometheus.Gatherer, func(), error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collector.NewScrapeCollector(ctx, r.Fleet)); err != nil {
		return nil, nil, fmt.Errorf("register scrape collector: %w", err)
	}
	r.inflight.RLock()
	return append(prometheus.Gatherers{reg}, r.registries...), r.inflight.RUnlock, nil
}

// Close waits for in-flight scrapes, then stops health checks and closes
// the pools.
func (r *Runtime) Close() error {
	r.inflight.Lock()
	defer r.inflight.Unlock()
	return r.closeSources()
}

func (r *Runtime) closeSources() error {
	var errs []error
	for _, s := range r.sources {
		errs = append(errs, s.Close())
	}
	r.sources = nil
	return errors.Join(errs...)
}
