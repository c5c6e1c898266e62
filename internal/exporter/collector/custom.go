package collector

import (
	"context"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guocedb/guocedb/internal/exporter/custom"
)

// customScraper runs one [[metric]] of a custom metrics file.
type customScraper struct {
	m    custom.Metric
	name string
}

func newCustomScraper(m custom.Metric) *customScraper {
	return &customScraper{m: m, name: "custom_" + strings.ToLower(m.Context)}
}

func (c *customScraper) Name() string            { return c.name }
func (c *customScraper) AppliesTo(_ string) bool { return true }

func (c *customScraper) Scrape(ctx context.Context, t *Target, flavor string, emit func(prometheus.Metric)) error {
	cfg := t.src.Config()
	res, err := custom.Run(ctx, t.src.DB(), flavor, c.m.Request, cfg.QueryTimeout, cfg.CustomMaxRows)
	if err != nil {
		return fmt.Errorf("custom metric %q: %w", c.m.Context, err)
	}
	if res.Truncated {
		t.src.Logger().Warn("custom metric rows over the cap dropped",
			"collector", c.name, "max_rows", cfg.CustomMaxRows)
	}
	if len(res.Rows) == 0 {
		if c.m.IgnoreZeroResult {
			return nil
		}
		return fmt.Errorf("custom metric %q: %w", c.m.Context, errNoRows)
	}
	idx := map[string]int{}
	for i, col := range res.Columns {
		idx[strings.ToLower(col)] = i
	}
	labelIdx := make([]int, len(c.m.Labels))
	for i, l := range c.m.Labels {
		j, ok := idx[strings.ToLower(l)]
		if !ok {
			return fmt.Errorf("custom metric %q: label column %q not in result", c.m.Context, l)
		}
		labelIdx[i] = j
	}
	for _, col := range c.m.Columns() {
		j, ok := idx[strings.ToLower(col)]
		if !ok {
			return fmt.Errorf("custom metric %q: value column %q not in result", c.m.Context, col)
		}
		desc := t.desc(custom.Family(t.ns, c.m.Context, col), c.m.MetricsDesc[col], c.m.Labels...)
		vt := valueType(c.m.TypeOf(col))
		for _, row := range res.Rows {
			if row[j] == nil {
				continue
			}
			v, err := parseFloat(*row[j])
			if err != nil {
				return fmt.Errorf("custom metric %q: column %q value %q is not a number", c.m.Context, col, *row[j])
			}
			lv := make([]string, len(labelIdx))
			for i, li := range labelIdx {
				if row[li] != nil {
					lv[i] = *row[li]
				}
			}
			m, err := prometheus.NewConstMetric(desc, vt, v, lv...)
			if err != nil {
				return fmt.Errorf("custom metric %q: %w", c.m.Context, err)
			}
			emit(m)
		}
	}
	return nil
}

func valueType(t string) prometheus.ValueType {
	switch t {
	case custom.TypeCounter:
		return prometheus.CounterValue
	case custom.TypeUntyped:
		return prometheus.UntypedValue
	default:
		return prometheus.GaugeValue
	}
}
