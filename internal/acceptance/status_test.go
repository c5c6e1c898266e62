package acceptance

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestStatusAndVariableNamesUnique checks that SHOW [GLOBAL] STATUS and
// SHOW [GLOBAL] VARIABLES list every name once, also after the
// normalisation monitoring tools apply (lower case, non-alphanumerics as
// '_'): prometheus-mysqld-exporter fails a whole scrape on a duplicate.
func TestStatusAndVariableNamesUnique(t *testing.T) {
	_, db := testutil.StartServer(t)
	for _, q := range []string{"SHOW GLOBAL STATUS", "SHOW STATUS", "SHOW GLOBAL VARIABLES", "SHOW VARIABLES"} {
		t.Run(q, func(t *testing.T) {
			rows := queryRows(t, db, q)
			require.NotEmpty(t, rows)
			seen := make(map[string]string, len(rows))
			for _, r := range rows {
				key := strings.Map(func(c rune) rune {
					if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' {
						return c
					}
					return '_'
				}, strings.ToLower(r[0]))
				prev, dup := seen[key]
				require.False(t, dup, "%s lists %q and %q", q, prev, r[0])
				seen[key] = r[0]
			}
		})
	}
	// The component spelling MySQL 8.0 uses stays visible.
	require.Equal(t, [][]string{{"validate_password.dictionary_file_words_count", "0"}},
		queryRows(t, db, "SHOW GLOBAL STATUS LIKE 'validate_password%words_count'"))
}
