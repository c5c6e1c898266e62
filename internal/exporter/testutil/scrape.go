package testutil

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

// Families is a parsed scrape.
type Families map[string]*dto.MetricFamily

// Scrape GETs url (with the Prometheus scrape-timeout header when
// timeoutSecs > 0), parses the text exposition and returns it with the
// time the request took.
func Scrape(t testing.TB, url string, timeoutSecs float64) (Families, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/plain")
	if timeoutSecs > 0 {
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeoutSecs, 'f', -1, 64))
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams, time.Since(start)
}

// Value returns the value of the first series of family name whose labels
// include all of want.
func (f Families) Value(name string, want map[string]string) (float64, bool) {
	series := f.Series(name, want)
	if len(series) == 0 {
		return 0, false
	}
	return series[0].Value, true
}

// Count returns how many series of family name include all of want.
func (f Families) Count(name string, want map[string]string) int {
	return len(f.Series(name, want))
}

func matches(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, lp := range m.GetLabel() {
		got[lp.GetName()] = lp.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// Series returns the label sets and values of every series of family name
// whose labels include all of want.
func (f Families) Series(name string, want map[string]string) []Series {
	fam, ok := f[name]
	if !ok {
		return nil
	}
	var out []Series
	for _, m := range fam.GetMetric() {
		if !matches(m, want) {
			continue
		}
		s := Series{Labels: map[string]string{}}
		for _, lp := range m.GetLabel() {
			s.Labels[lp.GetName()] = lp.GetValue()
		}
		switch {
		case m.GetGauge() != nil:
			s.Value = m.GetGauge().GetValue()
		case m.GetCounter() != nil:
			s.Value = m.GetCounter().GetValue()
		case m.GetUntyped() != nil:
			s.Value = m.GetUntyped().GetValue()
		}
		out = append(out, s)
	}
	return out
}

// Series is one series of a scrape.
type Series struct {
	Labels map[string]string
	Value  float64
}
