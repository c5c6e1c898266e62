package backend

import (
	"errors"
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/fulltext"
)

// fulltextRowEditor writes a row to the table first and then to its
// FULLTEXT pseudo-tables. go-mysql-server's fulltext.MultiTableEditor
// does it the other way round: an INSERT that then fails on a duplicate
// key leaves the pseudo-tables changed, which REPLACE, INSERT ... ON
// DUPLICATE KEY UPDATE and INSERT IGNORE continue past (stale words stay
// indexed); and a pseudo-table's own duplicate entry surfaces as the
// table's duplicate key, with a pseudo-table row as the "existing row"
// REPLACE then deletes.
type fulltextRowEditor struct {
	primary *editor
	ft      fulltext.TableEditor
	table   string
}

var (
	_ sql.TableEditor         = (*fulltextRowEditor)(nil)
	_ sql.ForeignKeyEditor    = (*fulltextRowEditor)(nil)
	_ sql.AutoIncrementSetter = (*fulltextRowEditor)(nil)
)

// ftErr hides a pseudo-table's duplicate key from the engine, which would
// take it for one of the table: the message is kept, the error kind (and
// so the chain) is deliberately not.
func (e *fulltextRowEditor) ftErr(err error) error {
	if err == nil {
		return nil
	}
	var uk sql.UniqueKeyError
	if errors.As(err, &uk) || sql.ErrUniqueKeyViolation.Is(err) || sql.ErrPrimaryKeyViolation.Is(err) || sql.ErrDuplicateEntry.Is(err) {
		return fmt.Errorf("table %s: FULLTEXT index is inconsistent: %s", e.table, err.Error())
	}
	return err
}

func (e *fulltextRowEditor) StatementBegin(ctx *sql.Context) {
	e.primary.StatementBegin(ctx)
	e.ft.StatementBegin(ctx)
}

func (e *fulltextRowEditor) DiscardChanges(ctx *sql.Context, cause error) error {
	return errors.Join(e.primary.DiscardChanges(ctx, cause), e.ft.DiscardChanges(ctx, cause))
}

func (e *fulltextRowEditor) StatementComplete(ctx *sql.Context) error {
	return errors.Join(e.primary.StatementComplete(ctx), e.ft.StatementComplete(ctx))
}

func (e *fulltextRowEditor) Close(ctx *sql.Context) error {
	return errors.Join(e.primary.Close(ctx), e.ft.Close(ctx))
}

// Insert implements sql.RowInserter.
func (e *fulltextRowEditor) Insert(ctx *sql.Context, row sql.Row) error {
	if err := e.primary.Insert(ctx, row); err != nil {
		return err
	}
	return e.ftErr(e.ft.Insert(ctx, row))
}

// Update implements sql.RowUpdater.
func (e *fulltextRowEditor) Update(ctx *sql.Context, old, new sql.Row) error {
	if err := e.primary.Update(ctx, old, new); err != nil {
		return err
	}
	return e.ftErr(e.ft.Update(ctx, old, new))
}

// Delete implements sql.RowDeleter.
func (e *fulltextRowEditor) Delete(ctx *sql.Context, row sql.Row) error {
	if err := e.primary.Delete(ctx, row); err != nil {
		return err
	}
	return e.ftErr(e.ft.Delete(ctx, row))
}

// IndexedAccess implements sql.ForeignKeyEditor.
func (e *fulltextRowEditor) IndexedAccess(ctx *sql.Context, lookup sql.IndexLookup) sql.IndexedTable {
	return e.primary.IndexedAccess(ctx, lookup)
}

// GetIndexes implements sql.ForeignKeyEditor.
func (e *fulltextRowEditor) GetIndexes(ctx *sql.Context) ([]sql.Index, error) {
	return e.primary.GetIndexes(ctx)
}

// PreciseMatch implements sql.ForeignKeyEditor.
func (e *fulltextRowEditor) PreciseMatch() bool { return e.primary.PreciseMatch() }

// SetAutoIncrementValue implements sql.AutoIncrementSetter.
func (e *fulltextRowEditor) SetAutoIncrementValue(ctx *sql.Context, v uint64) error {
	return e.primary.SetAutoIncrementValue(ctx, v)
}

// AcquireAutoIncrementLock implements sql.AutoIncrementSetter.
func (e *fulltextRowEditor) AcquireAutoIncrementLock(ctx *sql.Context) (func(), error) {
	return e.primary.AcquireAutoIncrementLock(ctx)
}
