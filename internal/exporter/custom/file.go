package custom

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Metric types accepted in metricstype.
const (
	TypeGauge   = "gauge"
	TypeCounter = "counter"
	TypeUntyped = "untyped"
)

var identRe = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Metric is one [[metric]] table: one request producing one or more metric
// families, one per column named in MetricsDesc; the columns named in
// Labels become label values.
type Metric struct {
	Context          string            `toml:"context"`
	Labels           []string          `toml:"labels"`
	Request          string            `toml:"request"`
	MetricsDesc      map[string]string `toml:"metricsdesc"`
	MetricsType      map[string]string `toml:"metricstype"`
	IgnoreZeroResult bool              `toml:"ignorezeroresult"`

	// File is the file the metric came from, for error messages.
	File string `toml:"-"`
}

type fileDoc struct {
	Metric []Metric `toml:"metric"`
}

// Family is the fully-qualified name of a metric family a Metric yields
// for value column col, under namespace ns.
func Family(ns, context, col string) string {
	return ns + "_custom_" + strings.ToLower(context) + "_" + strings.ToLower(col)
}

// Columns returns the value columns in sorted order.
func (m *Metric) Columns() []string {
	cols := make([]string, 0, len(m.MetricsDesc))
	for c := range m.MetricsDesc {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	return cols
}

// TypeOf returns the declared type of column col (gauge by default).
func (m *Metric) TypeOf(col string) string {
	if t, ok := m.MetricsType[col]; ok {
		return strings.ToLower(t)
	}
	return TypeGauge
}

// LoadFile reads and validates one custom metrics file.
func LoadFile(path string) ([]Metric, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("custom metrics: %w", err)
	}
	var doc fileDoc
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&doc)
	if err != nil {
		return nil, fmt.Errorf("custom metrics %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, 0, len(und))
		for _, k := range und {
			keys = append(keys, k.String())
		}
		return nil, fmt.Errorf("custom metrics %s: unknown keys %q", path, keys)
	}
	var errs []error
	for i := range doc.Metric {
		m := &doc.Metric[i]
		m.File = path
		if err := m.validate(); err != nil {
			errs = append(errs, fmt.Errorf("custom metrics %s: metric #%d (context %q): %w", path, i+1, m.Context, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return doc.Metric, nil
}

func (m *Metric) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !identRe.MatchString(m.Context) {
		add("key \"context\": %q must match %s", m.Context, identRe)
	}
	if len(m.MetricsDesc) == 0 {
		add("key \"metricsdesc\": at least one value column is required")
	}
	for col, help := range m.MetricsDesc {
		if !identRe.MatchString(col) {
			add("key \"metricsdesc\": column %q must match %s", col, identRe)
		}
		if strings.TrimSpace(help) == "" {
			add("key \"metricsdesc\": column %q needs a help text", col)
		}
	}
	for col, typ := range m.MetricsType {
		if _, ok := m.MetricsDesc[col]; !ok {
			add("key \"metricstype\": column %q is not in metricsdesc", col)
		}
		switch strings.ToLower(typ) {
		case TypeGauge, TypeCounter, TypeUntyped:
		default:
			add("key \"metricstype\": column %q: type %q must be gauge, counter or untyped", col, typ)
		}
	}
	seen := map[string]bool{}
	for _, l := range m.Labels {
		if !identRe.MatchString(l) || strings.HasPrefix(l, "__") {
			add("key \"labels\": %q must match %s", l, identRe)
		}
		if l == "datasource" || l == "collector" {
			add("key \"labels\": %q is reserved", l)
		}
		if _, isValue := m.MetricsDesc[l]; isValue {
			add("key \"labels\": column %q is also a value column", l)
		}
		if seen[l] {
			add("key \"labels\": column %q given twice", l)
		}
		seen[l] = true
	}
	if err := CheckRequest(m.Request); err != nil {
		add("key \"request\": %w", err)
	}
	return errors.Join(errs...)
}

// familyInfo records where a family was first defined.
type familyInfo struct {
	help, typ, file, context string
}

// CheckConsistency verifies that across all given metrics (from any number
// of files) one family name never gets two help texts or two types, which
// would make Prometheus reject or silently merge the families.
func CheckConsistency(ns string, metrics []Metric) error {
	seen := map[string]familyInfo{}
	var errs []error
	for i := range metrics {
		m := &metrics[i]
		for _, col := range m.Columns() {
			name := Family(ns, m.Context, col)
			cur := familyInfo{help: m.MetricsDesc[col], typ: m.TypeOf(col), file: m.File, context: m.Context}
			prev, ok := seen[name]
			if !ok {
				seen[name] = cur
				continue
			}
			if prev.help != cur.help {
				errs = append(errs, fmt.Errorf("custom metrics: metric %s has help %q in %s (context %q) but %q in %s (context %q)",
					name, prev.help, prev.file, prev.context, cur.help, cur.file, cur.context))
			}
			if prev.typ != cur.typ {
				errs = append(errs, fmt.Errorf("custom metrics: metric %s has type %s in %s (context %q) but %s in %s (context %q)",
					name, prev.typ, prev.file, prev.context, cur.typ, cur.file, cur.context))
			}
		}
	}
	return errors.Join(errs...)
}
