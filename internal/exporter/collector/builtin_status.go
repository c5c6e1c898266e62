package collector

import (
	"context"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guocedb/guocedb/internal/exporter/config"
)

func parseFloat(s string) (float64, error) { return strconv.ParseFloat(strings.TrimSpace(s), 64) }

// globalStatus exports every numeric row of SHOW GLOBAL STATUS as
// <ns>_global_status_<name> (untyped: the server mixes counters and gauges).
type globalStatus struct{}

func (globalStatus) Name() string            { return "global_status" }
func (globalStatus) AppliesTo(_ string) bool { return true }

func (globalStatus) Scrape(ctx context.Context, t *Target, _ string, emit func(prometheus.Metric)) error {
	return scrapeNameValue(ctx, t, "SHOW GLOBAL STATUS", t.ns+"_global_status_",
		"Generic value from SHOW GLOBAL STATUS.", prometheus.UntypedValue, emit)
}

// globalVariables exports every numeric row of SHOW GLOBAL VARIABLES as
// <ns>_global_variables_<name>. Cached: variables rarely change.
type globalVariables struct{}

func (globalVariables) Name() string            { return "global_variables" }
func (globalVariables) AppliesTo(_ string) bool { return true }

func (globalVariables) Scrape(ctx context.Context, t *Target, _ string, emit func(prometheus.Metric)) error {
	return scrapeNameValue(ctx, t, "SHOW GLOBAL VARIABLES", t.ns+"_global_variables_",
		"Generic value from SHOW GLOBAL VARIABLES.", prometheus.GaugeValue, emit)
}

func scrapeNameValue(ctx context.Context, t *Target, q, prefix, help string, vt prometheus.ValueType, emit func(prometheus.Metric)) error {
	_, rows, err := t.queryRows(ctx, q)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if len(r) < 2 || !r[0].Valid || !r[1].Valid {
			continue
		}
		v, ok := parseValue(r[1].String)
		if !ok {
			continue
		}
		name := prefix + metricName(r[0].String)
		// Two variables may normalise to one name; the first wins so the
		// scrape never carries duplicates.
		if seen[name] {
			continue
		}
		seen[name] = true
		emit(constMetric(t.desc(name, help), vt, v))
	}
	return nil
}

// guocedbStatus exports guocedb's own status when the target is guocedb:
// <ns>_guocedb_info{version} and every numeric SHOW GLOBAL STATUS row whose
// name starts with "guocedb_" as <ns>_guocedb_status_<rest>.
type guocedbStatus struct{}

func (guocedbStatus) Name() string                 { return "guocedb" }
func (guocedbStatus) AppliesTo(flavor string) bool { return flavor == config.FlavorGuocedb }

func (guocedbStatus) Scrape(ctx context.Context, t *Target, _ string, emit func(prometheus.Metric)) error {
	_, version, err := t.src.Flavor(ctx)
	if err != nil {
		return err
	}
	emit(constMetric(t.desc(t.ns+"_guocedb_info", "guocedb server information.", "version"),
		prometheus.GaugeValue, 1, version))
	_, rows, err := t.queryRows(ctx, "SHOW GLOBAL STATUS LIKE 'guocedb%'")
	if err != nil {
		return err
	}
	for _, r := range rows {
		if len(r) < 2 || !r[0].Valid || !r[1].Valid {
			continue
		}
		v, ok := parseValue(r[1].String)
		if !ok {
			continue
		}
		rest := strings.TrimPrefix(metricName(r[0].String), "guocedb_")
		emit(constMetric(t.desc(t.ns+"_guocedb_status_"+rest, "guocedb status value from SHOW GLOBAL STATUS."),
			prometheus.UntypedValue, v))
	}
	return nil
}
