package backend

import (
	"context"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/stretchr/testify/require"
)

func TestWantsExactCount(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  bool
	}{
		{"", true},
		{"SELECT COUNT(*) FROM t", true},
		{"  /* hint */ select count(*) from t", true},
		{"(SELECT COUNT(*) FROM a) UNION (SELECT 1)", true},
		{"WITH c AS (SELECT 1) SELECT COUNT(*) FROM t", true},
		{"-- note\nSELECT COUNT(*) FROM t", true},
		{"SELECT c FROM t WHERE id = 1", false},
		{"INSERT INTO accounts VALUES (1)", false},
		{"INSERT INTO t2 SELECT COUNT(*) FROM t", false},
		{"UPDATE counters SET n = n + 1", false},
		{"CALL count_rows()", false},
		{"EXPLAIN SELECT COUNT(*) FROM t", true},
		{"EXPLAIN PLAN SELECT * FROM (SELECT COUNT(*) FROM t) d", true},
		{"EXPLAIN FORMAT=TREE SELECT COUNT(*) FROM t", true},
		{"EXPLAIN ANALYZE INSERT INTO accounts VALUES (1)", false},
		{"DESCRIBE accounts", false},
	} {
		ctx := sql.NewContext(context.Background(), sql.WithQuery(tc.query))
		require.Equal(t, tc.want, wantsExactCount(ctx), "%q", tc.query)
	}
}
