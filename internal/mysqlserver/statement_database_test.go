package mysqlserver

import (
	"testing"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	"github.com/stretchr/testify/require"
)

func TestStatementDatabase(t *testing.T) {
	for _, tc := range []struct{ query, want string }{
		{"SELECT * FROM d.t", "d"},
		{"SELECT t.id, x.v FROM d.t JOIN e.u AS x ON t.id = x.id", "d"},
		{"WITH c AS (SELECT * FROM d.t) SELECT * FROM c", "d"},
		{"DELETE FROM d.t", "d"},
		{"DELETE a FROM d.t AS a JOIN d.u AS b ON a.id = b.id", "d"},
		{"RENAME TABLE d.a TO d.b", "d"},
		{"ANALYZE TABLE d.t", "d"},
		{"SHOW CREATE VIEW d.v", "d"},
		{"CALL d.p()", "d"},
		{"CREATE TRIGGER d.tr BEFORE INSERT ON d.t FOR EACH ROW INSERT INTO log VALUES (NEW.id)", "d"},
		{"CREATE PROCEDURE d.p() SELECT * FROM t", "d"},
		// An unqualified table keeps "no database selected".
		{"SELECT * FROM t", ""},
		{"SELECT * FROM d.t JOIN u ON t.id = u.id", ""},
		{"RENAME TABLE d.a TO b", ""},
		{"SELECT 1", ""},
		{"CALL p()", ""},
	} {
		t.Run(tc.query, func(t *testing.T) {
			stmt, err := ast.Parse(tc.query)
			require.NoError(t, err)
			require.Equal(t, tc.want, statementDatabase(stmt))
		})
	}
}
