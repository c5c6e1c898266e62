package acceptance

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNumericPrefixOfStrings: a string with trailing garbage converts to
// a number by its numeric prefix, with warning 1292, as in MySQL: in CAST
// and CONVERT (SIGNED, UNSIGNED, DECIMAL, DOUBLE), in comparisons with a
// number and in arithmetic; a whole number converts without a warning.
// Text and binary protocol (a parameter makes go-sql-driver prepare).
func TestNumericPrefixOfStrings(t *testing.T) {
	_, db := start(t)
	c := conn(t, db)
	mustExec(t, c, "CREATE DATABASE np")
	mustExec(t, c, "CREATE TABLE np.t (id INT PRIMARY KEY, code VARCHAR(10))")
	mustExec(t, c, "INSERT INTO np.t VALUES (1, '12abc'), (2, '7'), (3, 'x')")
	cases := []struct {
		query, want, warning string
	}{
		{"SELECT CAST('12abc' AS SIGNED)", "12", "Warning 1292 Truncated incorrect INTEGER value: '12abc'"},
		{"SELECT CAST(' -12abc' AS SIGNED)", "-12", "Warning 1292 Truncated incorrect INTEGER value: ' -12abc'"},
		{"SELECT CAST('12.7abc' AS SIGNED)", "12", "Warning 1292 Truncated incorrect INTEGER value: '12.7abc'"},
		{"SELECT CAST('abc' AS SIGNED)", "0", "Warning 1292 Truncated incorrect INTEGER value: 'abc'"},
		{"SELECT CONVERT('12abc', UNSIGNED)", "12", "Warning 1292 Truncated incorrect INTEGER value: '12abc'"},
		{"SELECT CAST('12.5abc' AS DECIMAL(5,2))", "12.50", "Warning 1292 Truncated incorrect DECIMAL value: '12.5abc'"},
		{"SELECT CAST('1e3x' AS DOUBLE)", "1000", "Warning 1292 Truncated incorrect DOUBLE value: '1e3x'"},
		{"SELECT CAST('12' AS SIGNED)", "12", ""},
		{"SELECT CAST(' 12.5 ' AS DECIMAL(5,2))", "12.50", ""},
		{"SELECT '12abc' = 12", "1", "Warning 1292 Truncated incorrect DOUBLE value: '12abc'"},
		{"SELECT 12 < '13abc'", "1", "Warning 1292 Truncated incorrect DOUBLE value: '13abc'"},
		{"SELECT '12' = 12", "1", ""},
		{"SELECT '12abc' BETWEEN 11 AND 13", "1", "Warning 1292 Truncated incorrect DOUBLE value: '12abc'"},
		{"SELECT 12 BETWEEN '11x' AND 13", "1", "Warning 1292 Truncated incorrect DOUBLE value: '11x'"},
		{"SELECT '12abc' + 1", "13", "Warning 1292 Truncated incorrect double value: '12abc'"},
		{"SELECT id FROM np.t WHERE code = 12", "1", "Warning 1292 Truncated incorrect DOUBLE value: '12abc'"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			require.Equal(t, tc.want, queryValue(t, c, tc.query))
			warnings := queryRows(t, c, "SHOW WARNINGS")
			if tc.warning == "" {
				require.Empty(t, warnings)
			} else {
				var got []string
				for _, w := range warnings {
					got = append(got, w[0]+" "+w[1]+" "+w[2])
				}
				require.Contains(t, got, tc.warning)
			}
			// Prepared: the same value.
			require.Equal(t, tc.want, queryValue(t, c, "SELECT * FROM ("+tc.query+") AS p WHERE ? = 1", 1))
		})
	}
	t.Run("parameters", func(t *testing.T) {
		require.Equal(t, "12", queryValue(t, c, "SELECT CAST(? AS SIGNED)", "12abc"))
		require.Equal(t, "1", queryValue(t, c, "SELECT id FROM np.t WHERE code = ? AND id < 3", 12))
	})
}
