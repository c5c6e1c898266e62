package console

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Names of the metrics the sampler reads from the server's registry.
const (
	metricDuration = "guocedb_statement_duration_seconds"
	metricErrors   = "guocedb_statement_errors_total"
	metricConns    = "guocedb_connections_open"
	metricRunning  = "guocedb_statements_running"
)

// sample is the counters at one instant.
type sample struct {
	at         time.Time
	statements float64 // finished statements (the histogram's count)
	errors     float64
	conns      float64
	running    float64
	// bounds and cumulative counts of the latency histogram's buckets.
	bounds, counts []float64
}

// Sampler keeps the last hour of samples of the server's own metrics in a
// ring, so the console draws graphs without a Prometheus. It gathers the
// registry /metrics serves, every interval. Its methods are safe for
// concurrent use.
type Sampler struct {
	g        prometheus.Gatherer
	interval time.Duration

	mu   sync.Mutex
	ring []sample
	next int
	full bool
}

// NewSampler returns a sampler of g keeping window worth of samples taken
// every interval.
func NewSampler(g prometheus.Gatherer, interval, window time.Duration) *Sampler {
	n := max(int(window/interval), 2)
	return &Sampler{g: g, interval: interval, ring: make([]sample, n)}
}

// Interval returns the time between samples.
func (s *Sampler) Interval() time.Duration { return s.interval }

// Run samples now and then every interval until ctx ends.
func (s *Sampler) Run(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if smp, err := s.take(); err == nil {
			s.add(smp)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Sampler) add(smp sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ring[s.next] = smp
	s.next = (s.next + 1) % len(s.ring)
	if s.next == 0 {
		s.full = true
	}
}

// samples returns the ring's samples, oldest first.
func (s *Sampler) samples() []sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.full {
		return append([]sample(nil), s.ring[:s.next]...)
	}
	return append(append([]sample(nil), s.ring[s.next:]...), s.ring[:s.next]...)
}

// take gathers the registry once.
func (s *Sampler) take() (sample, error) {
	fams, err := s.g.Gather()
	smp := sample{at: time.Now()}
	if err != nil && len(fams) == 0 {
		return smp, err
	}
	for _, f := range fams {
		switch f.GetName() {
		case metricDuration:
			for _, m := range f.GetMetric() {
				h := m.GetHistogram()
				smp.statements += float64(h.GetSampleCount())
				for _, b := range h.GetBucket() {
					smp.bounds = append(smp.bounds, b.GetUpperBound())
					smp.counts = append(smp.counts, float64(b.GetCumulativeCount()))
				}
			}
		case metricErrors:
			smp.errors = sum(f)
		case metricConns:
			smp.conns = sum(f)
		case metricRunning:
			smp.running = sum(f)
		}
	}
	return smp, nil
}

func sum(f *dto.MetricFamily) float64 {
	var v float64
	for _, m := range f.GetMetric() {
		switch {
		case m.Counter != nil:
			v += m.GetCounter().GetValue()
		case m.Gauge != nil:
			v += m.GetGauge().GetValue()
		case m.Untyped != nil:
			v += m.GetUntyped().GetValue()
		}
	}
	return v
}

// Point is one point of the overview's graphs: the rates over the
// interval that ends at T, and the gauges at T. Latencies are null
// (NaN in Go, omitted in JSON) when no statement finished in it.
type Point struct {
	T           int64    `json:"t"` // Unix seconds
	QPS         float64  `json:"qps"`
	ErrorsPerS  float64  `json:"errors_per_sec"`
	P99Millis   *float64 `json:"p99_ms"`
	Connections float64  `json:"connections"`
	Running     float64  `json:"running"`
}

// Live is the recent throughput and latency.
type Live struct {
	// WindowSeconds is the span the values cover (up to a minute).
	WindowSeconds float64  `json:"window_seconds"`
	QPS           float64  `json:"qps"`
	ErrorsPerS    float64  `json:"errors_per_sec"`
	P50Millis     *float64 `json:"p50_ms"`
	P95Millis     *float64 `json:"p95_ms"`
	P99Millis     *float64 `json:"p99_ms"`
}

// liveWindow is the span of the overview's current values.
const liveWindow = time.Minute

// Overview returns the current values (over the last minute, or since
// the first sample when younger) and the graph points of the ring plus
// one live point.
func (s *Sampler) Overview() (Live, []Point, error) {
	now, err := s.take()
	if err != nil {
		return Live{}, nil, err
	}
	hist := s.samples()
	var points []Point
	for i := 1; i < len(hist); i++ {
		points = append(points, point(hist[i-1], hist[i]))
	}
	if n := len(hist); n > 0 && now.at.Sub(hist[n-1].at) >= time.Second {
		points = append(points, point(hist[n-1], now))
	}
	base := sample{at: now.at}
	for _, h := range hist {
		if now.at.Sub(h.at) <= liveWindow+s.interval/2 {
			base = h
			break
		}
	}
	live := Live{WindowSeconds: now.at.Sub(base.at).Seconds()}
	if dt := live.WindowSeconds; dt > 0 {
		live.QPS = (now.statements - base.statements) / dt
		live.ErrorsPerS = (now.errors - base.errors) / dt
	}
	live.P50Millis = quantileMillis(0.50, base, now)
	live.P95Millis = quantileMillis(0.95, base, now)
	live.P99Millis = quantileMillis(0.99, base, now)
	return live, points, nil
}

func point(a, b sample) Point {
	p := Point{T: b.at.Unix(), Connections: b.conns, Running: b.running, P99Millis: quantileMillis(0.99, a, b)}
	if dt := b.at.Sub(a.at).Seconds(); dt > 0 {
		p.QPS = max(b.statements-a.statements, 0) / dt
		p.ErrorsPerS = max(b.errors-a.errors, 0) / dt
	}
	return p
}

// quantileMillis estimates quantile q of the statements finished between
// a and b from the histogram's bucket deltas, interpolating inside the
// bucket as Prometheus' histogram_quantile does; nil when none finished.
func quantileMillis(q float64, a, b sample) *float64 {
	if len(b.counts) == 0 {
		return nil
	}
	delta := make([]float64, len(b.counts))
	for i := range b.counts {
		delta[i] = b.counts[i]
		if len(a.counts) == len(b.counts) {
			delta[i] -= a.counts[i]
		}
	}
	total := b.statements - a.statements
	if len(a.counts) != len(b.counts) {
		total = b.statements
	}
	if total <= 0 {
		return nil
	}
	rank := q * total
	lower, prev := 0.0, 0.0
	for i, c := range delta {
		if c >= rank {
			frac := 0.0
			if c > prev {
				frac = (rank - prev) / (c - prev)
			}
			v := (lower + (b.bounds[i]-lower)*frac) * 1000
			return &v
		}
		lower, prev = b.bounds[i], c
	}
	// Above the last finite bucket: its bound is the best lower estimate.
	v := b.bounds[len(b.bounds)-1] * 1000
	if math.IsInf(v, 0) {
		return nil
	}
	return &v
}
