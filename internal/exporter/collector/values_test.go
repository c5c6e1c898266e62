package collector

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseValue(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"42", 42, true},
		{" 3.5 ", 3.5, true},
		{"ON", 1, true},
		{"off", 0, true},
		{"YES", 1, true},
		{"Disabled", 0, true},
		{"utf8mb4", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			v, ok := parseValue(tc.in)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, v)
		})
	}
}

func TestMetricName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Threads_connected", "threads_connected"},
		{"Com_show-status", "com_show_status"},
		{"wsrep.local state", "wsrep_local_state"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			require.Equal(t, tc.want, metricName(tc.in))
		})
	}
}
