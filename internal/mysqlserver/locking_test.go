package mysqlserver

import (
	"testing"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/backend"
	"github.com/guocedb/guocedb/internal/lockmgr"
)

// TestStatementLock checks which rows a statement locks, from its text as
// the parser wrapper sees it.
func TestStatementLock(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  *backend.StatementLock
	}{
		{"SELECT * FROM t WHERE id = 1", nil},
		{"SELECT * FROM t WHERE id = 1 FOR UPDATE", &backend.StatementLock{Mode: lockmgr.Exclusive}},
		{"SELECT * FROM t FOR UPDATE NOWAIT", &backend.StatementLock{Mode: lockmgr.Exclusive, Wait: backend.WaitNoWait}},
		{"SELECT * FROM t FOR UPDATE OF t SKIP LOCKED", &backend.StatementLock{Mode: lockmgr.Exclusive, Wait: backend.WaitSkipLocked}},
		{"SELECT * FROM t FOR SHARE", &backend.StatementLock{Mode: lockmgr.Shared}},
		{"SELECT * FROM t FOR SHARE SKIP LOCKED", &backend.StatementLock{Mode: lockmgr.Shared, Wait: backend.WaitSkipLocked}},
		{"SELECT * FROM t LOCK IN SHARE MODE", &backend.StatementLock{Mode: lockmgr.Shared}},
		{"SELECT 'for update nowait' FROM t", nil},
		{"UPDATE t SET v = 1 WHERE id = 1", &backend.StatementLock{Mode: lockmgr.Exclusive, Tables: []string{"t"}}},
		{"UPDATE db.t AS x JOIN u ON x.id = u.id SET x.v = u.v", &backend.StatementLock{Mode: lockmgr.Exclusive, Tables: []string{"t", "u"}}},
		{"DELETE FROM t WHERE id = 1", &backend.StatementLock{Mode: lockmgr.Exclusive, Tables: []string{"t"}}},
		{"DELETE x FROM t AS x JOIN u ON x.id = u.id", &backend.StatementLock{Mode: lockmgr.Exclusive, Tables: []string{"t"}}},
		{"INSERT INTO t VALUES (1)", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			stmt, err := ast.Parse(rewriteStatement(tc.query))
			require.NoError(t, err)
			require.Equal(t, tc.want, lockOf(tc.query, stmt))
		})
	}
}
