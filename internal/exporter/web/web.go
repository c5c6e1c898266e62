package web

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	toolkit "github.com/prometheus/exporter-toolkit/web"

	"github.com/guocedb/guocedb/internal/exporter/app"
)

// ScrapeTimeoutHeader is the header Prometheus sets to its scrape timeout.
const ScrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// Exporter is what the HTTP layer needs. Implementations must be safe for
// concurrent use; Reload may run while scrapes are in flight.
type Exporter interface {
	ScrapeConfig() app.ScrapeConfig
	// Gatherer returns a gatherer for one scrape bounded by ctx and the
	// function to call after the response is written.
	Gatherer(ctx context.Context) (prometheus.Gatherer, func(), error)
	Reload() error
}

// Deadline computes the collection deadline for a request: the header's
// value times fraction, capped at max; def (also capped) when the header is
// missing or invalid.
func Deadline(header string, sc app.ScrapeConfig) time.Duration {
	d := sc.Default
	if header != "" {
		if secs, err := strconv.ParseFloat(header, 64); err == nil && secs > 0 {
			d = time.Duration(secs * sc.Fraction * float64(time.Second))
		}
	}
	return min(d, sc.Max)
}

// Handler routes the exporter's endpoints. The metric path is read from
// the current configuration on every request so a reload can move it.
func Handler(e Exporter, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintln(w, "OK")
	})
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost && r.Method != http.MethodPut {
			w.Header().Set("Allow", "POST, PUT")
			http.Error(w, "use POST to reload", http.StatusMethodNotAllowed)
			return
		}
		if err := e.Reload(); err != nil {
			http.Error(w, "reload failed, previous configuration kept: "+err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = fmt.Fprintln(w, "reloaded")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		sc := e.ScrapeConfig()
		if r.URL.Path == sc.MetricPath {
			serveMetrics(w, r, e, sc, logger)
			return
		}
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		p := html.EscapeString(sc.MetricPath)
		_, _ = fmt.Fprintf(w, "<html><head><title>guocedb-exporter</title></head><body><h1>guocedb-exporter</h1>"+
			"<p><a href=%q>Metrics</a></p><p>POST /-/reload reloads the configuration.</p></body></html>\n", p)
	})
	return mux
}

func serveMetrics(w http.ResponseWriter, r *http.Request, e Exporter, sc app.ScrapeConfig, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(r.Context(), Deadline(r.Header.Get(ScrapeTimeoutHeader), sc))
	defer cancel()
	g, release, err := e.Gatherer(ctx)
	if err != nil {
		logger.Error("scrape setup failed", "err", err)
		http.Error(w, "scrape setup failed", http.StatusInternalServerError)
		return
	}
	defer release()
	promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}).ServeHTTP(w, r)
}

// Serve serves h on l until ctx is cancelled, with TLS and basic auth from
// webConfigFile (exporter-toolkit format; empty means plain HTTP, no auth).
func Serve(ctx context.Context, l net.Listener, h http.Handler, webConfigFile string, logger *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	systemd := false
	flags := &toolkit.FlagConfig{
		WebListenAddresses: &[]string{l.Addr().String()},
		WebSystemdSocket:   &systemd,
		WebConfigFile:      &webConfigFile,
	}
	errc := make(chan error, 1)
	go func() { errc <- toolkit.Serve(l, srv, flags, logger) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// ValidateWebConfig checks an exporter-toolkit web configuration file.
func ValidateWebConfig(path string) error {
	if path == "" {
		return nil
	}
	if err := toolkit.Validate(path); err != nil {
		return fmt.Errorf("key \"webConfigFile\": %w", err)
	}
	return nil
}
