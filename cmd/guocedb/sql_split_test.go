package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"SELECT 1", []string{"SELECT 1"}},
		{"SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{" ; ;\n", nil},
		{"SELECT ';'; SELECT \"a;b\"", []string{"SELECT ';'", "SELECT \"a;b\""}},
		{"SELECT 'it''s;'; SELECT 'a\\';b'", []string{"SELECT 'it''s;'", "SELECT 'a\\';b'"}},
		{"SELECT `a;b` FROM t", []string{"SELECT `a;b` FROM t"}},
		{"SELECT 1 -- one; two\n; SELECT 2 # x;y\n", []string{"SELECT 1 -- one; two", "SELECT 2 # x;y"}},
		{"SELECT /* a; b */ 1; SELECT 2", []string{"SELECT /* a; b */ 1", "SELECT 2"}},
		{"SELECT 'unterminated;", []string{"SELECT 'unterminated;"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, splitStatements(tt.in))
		})
	}
}
