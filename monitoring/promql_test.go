// Package monitoring_test checks the Grafana dashboards and Prometheus
// alert rules of monitoring/ (see README.md#monitoring): promtool's rule
// check and unit tests, the dashboards' shape, and that every metric they
// use is exported by a running guocedb or guocedb-exporter.
package monitoring_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// promqlKeywords are the words of PromQL that are not metric names:
// aggregation operators, set and comparison modifiers.
var promqlKeywords = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "count": true, "stddev": true, "stdvar": true,
	"topk": true, "bottomk": true, "quantile": true, "count_values": true, "group": true,
	"limitk": true, "limit_ratio": true,
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"inf": true, "nan": true,
}

// groupingKeywords take a parenthesized list of label names.
var groupingKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// metricNames returns the metric names a PromQL expression selects, in
// order of appearance, by reading its tokens: strings, label matchers
// ({...}), ranges and subqueries ([...]), numbers and durations, function
// calls and keywords are passed over; a grouping keyword's label list
// too. Grafana's $variables only appear inside matchers and ranges.
func metricNames(expr string) []string {
	var out []string
	isStart := func(c byte) bool { return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isPart := func(c byte) bool { return isStart(c) || c >= '0' && c <= '9' }
	skipString := func(i int) int {
		q := expr[i]
		for i++; i < len(expr) && expr[i] != q; i++ {
			if expr[i] == '\\' && q != '`' {
				i++
			}
		}
		return i + 1
	}
	skipTo := func(i int, close byte) int {
		for i++; i < len(expr) && expr[i] != close; {
			if c := expr[i]; c == '"' || c == '\'' || c == '`' {
				i = skipString(i)
				continue
			}
			i++
		}
		return i + 1
	}
	nextNonSpace := func(i int) int {
		for i < len(expr) && strings.ContainsRune(" \t\r\n", rune(expr[i])) {
			i++
		}
		return i
	}
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(i)
		case c == '{':
			i = skipTo(i, '}')
		case c == '[':
			i = skipTo(i, ']')
		case c == '#':
			for i < len(expr) && expr[i] != '\n' {
				i++
			}
		case c >= '0' && c <= '9' || c == '.':
			for i < len(expr) && (isPart(expr[i]) || expr[i] == '.') {
				i++
			}
		case isStart(c):
			j := i
			for j < len(expr) && isPart(expr[j]) {
				j++
			}
			word := expr[i:j]
			next := nextNonSpace(j)
			switch {
			case groupingKeywords[strings.ToLower(word)]:
				if next < len(expr) && expr[next] == '(' {
					j = skipTo(next, ')')
				}
			case promqlKeywords[strings.ToLower(word)]:
			case next < len(expr) && expr[next] == '(':
				// A function call: its arguments are read on.
			default:
				out = append(out, word)
			}
			i = j
		default:
			i++
		}
	}
	return out
}

// grafanaQueryNames returns the metric names of a templating query:
// label_values(EXPR, label) reads EXPR; anything else is PromQL.
func grafanaQueryNames(q string) []string {
	q = strings.TrimSpace(q)
	if rest, ok := strings.CutPrefix(q, "label_values("); ok {
		if k := strings.LastIndexByte(rest, ','); k >= 0 {
			return metricNames(rest[:k])
		}
		return metricNames(strings.TrimSuffix(rest, ")"))
	}
	return metricNames(q)
}

func TestMetricNamesOfPromQL(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`up{job="guocedb"} == 0`, []string{"up"}},
		{`sum by (instance) (rate(guocedb_statement_errors_total{code=~"1.*"}[5m])) / sum without (le) (rate(x_count[$__rate_interval]))`,
			[]string{"guocedb_statement_errors_total", "x_count"}},
		{`histogram_quantile(0.99, sum by (le, instance) (rate(a_bucket{instance=~"$instance"}[1m])))`, []string{"a_bucket"}},
		{"rate(a[5m]) > 3 * rate(a[1h] offset 1h) and b unless on (x) group_left (y) c", []string{"a", "a", "b", "c"}},
		{`time() - process_start_time_seconds{job="guocedb"} > 36 * 3600`, []string{"process_start_time_seconds"}},
		{`topk(20, t{s="}{"})`, []string{"t"}},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, metricNames(tt.expr), tt.expr)
	}
	require.Equal(t, []string{"guocedb_build_info"}, grafanaQueryNames(`label_values(guocedb_build_info{job=~"$job"}, instance)`))
	require.True(t, slices.Equal([]string{"m"}, grafanaQueryNames(`label_values(m, job)`)))
}
