package mysqlserver

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRewriteProcedureDo(t *testing.T) {
	const do = "SELECT " + doComment
	cases := []struct{ in, want string }{
		// Outside blocks DO stays (do.go runs it).
		{"DO 1", "DO 1"},
		{"BEGIN; DO 1", "BEGIN; DO 1"},
		{"BEGIN WORK; DO 1; COMMIT", "BEGIN WORK; DO 1; COMMIT"},
		{"SELECT 'BEGIN DO'", "SELECT 'BEGIN DO'"},
		{"CREATE PROCEDURE p() BEGIN DO 1; SELECT 2; DO SLEEP(0), 3; END",
			"CREATE PROCEDURE p() BEGIN " + do + " 1; SELECT 2; " + do + " SLEEP(0), 3; END"},
		// WHILE ... DO's own DO is not a statement; the one after it is.
		{"CREATE PROCEDURE p() BEGIN WHILE i < 3 DO DO 1; SET i = i + 1; END WHILE; DO 2; END",
			"CREATE PROCEDURE p() BEGIN WHILE i < 3 DO " + do + " 1; SET i = i + 1; END WHILE; " + do + " 2; END"},
		{"CREATE PROCEDURE p() BEGIN IF x THEN DO 1; ELSE DO 2; END IF; END; DO 3",
			"CREATE PROCEDURE p() BEGIN IF x THEN " + do + " 1; ELSE " + do + " 2; END IF; END; DO 3"},
		// A CASE expression's END closes no block.
		{"CREATE PROCEDURE p() BEGIN SELECT CASE WHEN x THEN 1 END; DO 1; CASE x WHEN 1 THEN DO 2; END CASE; DO 3; END",
			"CREATE PROCEDURE p() BEGIN SELECT CASE WHEN x THEN 1 END; " + do + " 1; CASE x WHEN 1 THEN " + do + " 2; END CASE; " + do + " 3; END"},
		{"CREATE PROCEDURE p() BEGIN SELECT 'DO 1'; /* DO 2 */ END",
			"CREATE PROCEDURE p() BEGIN SELECT 'DO 1'; /* DO 2 */ END"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, rewriteProcedureDo(tc.in), tc.in)
		// Idempotent: a rewritten remainder may be parsed again.
		require.Equal(t, tc.want, rewriteProcedureDo(tc.want), tc.in)
	}
}
