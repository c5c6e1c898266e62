package backend

import (
	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/codec"
	"github.com/guocedb/guocedb/internal/sqltext"
	"github.com/guocedb/guocedb/internal/storage"
)

// go-mysql-server turns DELETE FROM t without WHERE (on a table without
// AUTO_INCREMENT column or DELETE trigger) into a TRUNCATE. guocedb's
// TRUNCATE moves the table to a new, empty id and commits at once, as DDL
// does: for a DELETE inside a transaction that would make the deletion
// visible to everyone before COMMIT and impossible to ROLLBACK. So a
// Truncate call whose statement is a DELETE deletes the rows one by one in
// the session transaction instead, as MySQL does for DELETE.

// isDeleteStatement reports whether the query text is a DELETE statement.
func isDeleteStatement(query string) bool { return sqltext.StartsWith(query, "delete") }

// deleteAllRows deletes every row of the table through the session
// transaction, atomically as one statement, and returns how many.
func (t *Table) deleteAllRows(ctx *sql.Context) (int, error) {
	e := t.editor(ctx)
	if err := e.writable(); err != nil {
		return 0, err
	}
	e.StatementBegin(ctx)
	n, err := t.deleteRowsOf(ctx, e)
	if err != nil {
		_ = e.DiscardChanges(ctx, err)
	}
	_ = e.StatementComplete(ctx)
	return n, err
}

func (t *Table) deleteRowsOf(ctx *sql.Context, e *editor) (int, error) {
	p := rowPrefix(t.st.def.ID)
	it, err := e.tx.txn.NewIteratorAt(e.tx.view(), storage.IterOptions{Start: p, End: prefixEnd(p)})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	n := 0
	for ; it.Valid(); it.Next() {
		row, err := codec.DecodeRow(it.Value(), t.st.schema)
		if err != nil {
			return n, err
		}
		if err := e.Delete(ctx, row); err != nil {
			return n, err
		}
		n++
	}
	return n, it.Err()
}
