package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/guocedb/guocedb/internal/exporter/config"
)

// ScrapeConfig is what the HTTP layer needs from the current configuration.
type ScrapeConfig struct {
	MetricPath string
	Fraction   float64
	Max        time.Duration
	Default    time.Duration
}

// App owns the current Runtime and the process-level registry (Go and
// process metrics, reload status). Safe for concurrent use.
type App struct {
	path   string
	logger *slog.Logger
	cur    atomic.Pointer[Runtime]
	// reloadMu serialises reloads; scrapes never take it.
	reloadMu sync.Mutex
	closed   bool

	reg       *prometheus.Registry
	reloadOK  prometheus.Gauge
	reloadTS  prometheus.Gauge
	reloadsBy *prometheus.CounterVec
	sources   prometheus.Gauge
}

// New builds the first Runtime from cfg (loaded from path, which reloads
// read again).
func New(path string, cfg *config.Config, logger *slog.Logger) (*App, error) {
	rt, err := Build(cfg, logger)
	if err != nil {
		return nil, err
	}
	ns := cfg.Namespace
	a := &App{
		path:   path,
		logger: logger,
		reg:    prometheus.NewRegistry(),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "config_last_reload_successful",
			Help: "Whether the last configuration reload succeeded."}),
		reloadTS: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "config_last_reload_success_timestamp_seconds",
			Help: "Time of the last successful configuration load."}),
		reloadsBy: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "config_reloads_total",
			Help: "Configuration reloads by result."}, []string{"result"}),
		sources: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "datasources",
			Help: "Enabled datasources in the current configuration."}),
	}
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		a.reloadOK, a.reloadTS, a.reloadsBy, a.sources,
	} {
		if err := a.reg.Register(c); err != nil {
			return nil, errors.Join(fmt.Errorf("register process metrics: %w", err), rt.Close())
		}
	}
	a.reloadOK.Set(1)
	a.reloadTS.SetToCurrentTime()
	a.sources.Set(float64(len(cfg.EnabledSources())))
	a.cur.Store(rt)
	return a, nil
}

// Current returns the Runtime in use.
func (a *App) Current() *Runtime { return a.cur.Load() }

// Config returns the configuration in use.
func (a *App) Config() *config.Config { return a.cur.Load().Config }

// ScrapeConfig implements web.Exporter.
func (a *App) ScrapeConfig() ScrapeConfig {
	c := a.Config()
	return ScrapeConfig{MetricPath: c.MetricPath, Fraction: c.ScrapeTimeoutFraction, Max: c.ScrapeTimeoutMax, Default: c.ScrapeTimeoutDefault}
}

// Gatherer returns the gatherer for one scrape bounded by ctx, and the
// function to call once the response is written.
func (a *App) Gatherer(ctx context.Context) (prometheus.Gatherer, func(), error) {
	g, release, err := a.cur.Load().Gatherer(ctx)
	if err != nil {
		return nil, nil, err
	}
	return prometheus.Gatherers{a.reg, g}, release, nil
}

// Reload loads the file again, builds a complete new Runtime and swaps it
// in. On any error the current Runtime stays and the error is returned.
func (a *App) Reload() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	if a.closed {
		return errors.New("reload: exporter is shutting down")
	}
	err := a.reload()
	if err != nil {
		a.reloadOK.Set(0)
		a.reloadsBy.WithLabelValues("failure").Inc()
		a.logger.Error("configuration reload failed, keeping the previous configuration", "err", err)
		return err
	}
	a.reloadOK.Set(1)
	a.reloadTS.SetToCurrentTime()
	a.reloadsBy.WithLabelValues("success").Inc()
	return nil
}

func (a *App) reload() error {
	cfg, err := config.Load(a.path)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	old := a.cur.Load()
	if cfg.ListenAddress != old.Config.ListenAddress || cfg.WebConfigFile != old.Config.WebConfigFile ||
		cfg.Namespace != old.Config.Namespace || cfg.LogFile != old.Config.LogFile || cfg.LogLevel != old.Config.LogLevel {
		a.logger.Warn("listenAddress, webConfigFile, namespace and log settings change only on restart")
		cfg.ListenAddress, cfg.WebConfigFile, cfg.Namespace = old.Config.ListenAddress, old.Config.WebConfigFile, old.Config.Namespace
	}
	rt, err := Build(cfg, a.logger)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	a.cur.Store(rt)
	a.sources.Set(float64(len(cfg.EnabledSources())))
	a.logger.Info("configuration reloaded", "datasources", len(cfg.EnabledSources()))
	// The old runtime closes once its in-flight scrapes are done.
	go func() {
		if err := old.Close(); err != nil {
			a.logger.Warn("closing previous configuration", "err", err)
		}
	}()
	return nil
}

// Close closes the current Runtime; later reloads fail.
func (a *App) Close() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	a.closed = true
	return a.cur.Load().Close()
}
