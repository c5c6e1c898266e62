package backend

import (
	"bytes"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/codec"
)

// editor applies row changes of one statement to the session transaction,
// maintaining every secondary index and checking uniqueness. Duplicate
// keys are reported with sql.NewUniqueKeyErr, unwrapped, because the engine
// inspects that error for ON DUPLICATE KEY UPDATE, REPLACE and IGNORE.
type editor struct {
	t   *Table
	err error // set when the transaction could not be obtained
	tx  *Transaction
	// updated holds the row ids of a keyless table this statement has
	// updated (keyless.go): a statement updates each row once.
	updated map[string]struct{}
}

var (
	_ sql.TableEditor         = (*editor)(nil)
	_ sql.ForeignKeyEditor    = (*editor)(nil)
	_ sql.AutoIncrementSetter = (*editor)(nil)
)

func (t *Table) editor(ctx *sql.Context) *editor {
	tx, err := transaction(ctx, t.store())
	return &editor{t: t, tx: tx, err: err}
}

// Inserter implements sql.InsertableTable.
func (t *Table) Inserter(ctx *sql.Context) sql.RowInserter { return t.rowEditor(ctx) }

// Updater implements sql.UpdatableTable.
func (t *Table) Updater(ctx *sql.Context) sql.RowUpdater { return t.rowEditor(ctx) }

// Deleter implements sql.DeletableTable.
func (t *Table) Deleter(ctx *sql.Context) sql.RowDeleter { return t.rowEditor(ctx) }

// Replacer implements sql.ReplaceableTable.
func (t *Table) Replacer(ctx *sql.Context) sql.RowReplacer { return t.rowEditor(ctx) }

// GetForeignKeyEditor implements sql.ForeignKeyTable.
func (t *Table) GetForeignKeyEditor(ctx *sql.Context) sql.ForeignKeyEditor { return t.rowEditor(ctx) }

func (e *editor) StatementBegin(*sql.Context) {
	e.updated = nil
	if e.tx != nil {
		e.tx.statementBegin()
	}
}

func (e *editor) DiscardChanges(*sql.Context, error) error {
	if e.tx != nil {
		e.tx.statementDiscard()
	}
	return nil
}

func (e *editor) StatementComplete(*sql.Context) error {
	if e.tx != nil {
		e.tx.statementComplete()
	}
	return nil
}

func (e *editor) Close(*sql.Context) error { return nil }

func (e *editor) writable() error {
	if e.err != nil {
		return e.err
	}
	if e.tx.readOnly && e.t.temp == nil { // MySQL allows temporary tables
		return sql.ErrReadOnlyTransaction.New()
	}
	return nil
}

// Insert implements sql.RowInserter.
func (e *editor) Insert(ctx *sql.Context, row sql.Row) error {
	if err := e.writable(); err != nil {
		return err
	}
	if err := checkZeroDates(ctx, e.t.st.schema, row); err != nil {
		return err
	}
	st := e.t.st
	var pk []byte
	var err error
	if st.keyless() {
		pk, err = st.nextRowID(commitCtx(ctx), e.t.store())
	} else {
		pk, err = st.pkKey(row)
	}
	if err != nil {
		return err
	}
	rk := st.rowKey(pk)
	if !st.keyless() {
		// The key is locked even when no row has it, so that a second
		// insert of the same key waits for this one and then fails
		// with 1062 (or goes ahead after a rollback).
		if err := e.lockForWrite(ctx, rk); err != nil {
			return err
		}
		old, ok, err := e.tx.txn.GetCurrent(nil, rk)
		if err != nil {
			return err
		}
		if ok {
			existing, err := codec.DecodeRow(old, st.schema)
			if err != nil {
				return err
			}
			return sql.NewUniqueKeyErr(uniqueKeyString(row, st.def.PKOrdinals), true, existing)
		}
	}
	keys := make([][]byte, len(st.indexes))
	for i, ix := range st.indexes {
		k, unique, err := st.indexKey(ix, row, pk)
		if err != nil {
			return err
		}
		if unique {
			if err := e.checkUnique(ctx, ix, k, row); err != nil {
				return err
			}
		}
		keys[i] = k
	}
	enc, err := codec.EncodeRow(nil, st.schema, row)
	if err != nil {
		return err
	}
	if err := e.tx.txn.Set(rk, enc); err != nil {
		return err
	}
	if st.keyless() {
		if err := e.tx.txn.Set(st.lookupKey(rowHash(enc), pk), nil); err != nil {
			return err
		}
	}
	for _, k := range keys {
		if err := e.tx.txn.Set(k, pk); err != nil {
			return err
		}
	}
	if err := e.addCount(1); err != nil {
		return err
	}
	if st.counters.rowsKnown.Load() {
		st.counters.rows.Add(1)
	}
	countWritten(ctx)
	if st.autoIncCol >= 0 {
		if v, ok := toUint64(row[st.autoIncCol]); ok && v > 0 {
			return st.observeAutoInc(commitCtx(ctx), e.t.store(), v)
		}
	}
	return nil
}

// checkUnique locks a unique value and reports a duplicate if another row
// has it now (a current read).
func (e *editor) checkUnique(ctx *sql.Context, ix *indexState, key []byte, row sql.Row) error {
	if err := e.lockForWrite(ctx, key); err != nil {
		return err
	}
	pk, ok, err := e.tx.txn.GetCurrent(nil, key)
	if err != nil || !ok {
		return err
	}
	st := e.t.st
	var existing sql.Row
	if v, ok, err := e.tx.txn.GetCurrent(nil, st.rowKey(pk)); err == nil && ok {
		existing, _ = codec.DecodeRow(v, st.schema)
	}
	return sql.NewUniqueKeyErr(uniqueKeyString(row, ix.ordinals), false, existing)
}

// Delete implements sql.RowDeleter.
func (e *editor) Delete(ctx *sql.Context, row sql.Row) error {
	if err := e.writable(); err != nil {
		return err
	}
	st := e.t.st
	var pk []byte
	var err error
	if st.keyless() {
		var h uint64
		if pk, _, h, err = e.findKeyless(row, nil); err != nil || pk == nil {
			return err
		}
		if err := e.lockRow(ctx, st.rowKey(pk), nil); err != nil {
			return err
		}
		if err := e.tx.txn.Delete(st.lookupKey(h, pk)); err != nil {
			return err
		}
	} else if pk, err = st.pkKey(row); err != nil {
		return err
	} else if err := e.lockRow(ctx, st.rowKey(pk), nil); err != nil {
		return err
	}
	if err := e.lockUniqueEntries(ctx, row, pk); err != nil {
		return err
	}
	// The exact count must not drop for a row that is not there.
	if e.t.counted() {
		if _, exists, err := e.tx.txn.GetCurrent(nil, st.rowKey(pk)); err != nil {
			return err
		} else if exists {
			if err := e.addCount(-1); err != nil {
				return err
			}
		}
	}
	if err := e.tx.txn.Delete(st.rowKey(pk)); err != nil {
		return err
	}
	for _, ix := range st.indexes {
		k, _, err := st.indexKey(ix, row, pk)
		if err != nil {
			return err
		}
		if err := e.tx.txn.Delete(k); err != nil {
			return err
		}
	}
	if st.counters.rowsKnown.Load() {
		st.counters.rows.Add(-1)
	}
	countWritten(ctx)
	return nil
}

// Update implements sql.RowUpdater.
func (e *editor) Update(ctx *sql.Context, old, new sql.Row) error {
	if err := e.writable(); err != nil {
		return err
	}
	if err := checkZeroDates(ctx, e.t.st.schema, new); err != nil {
		return err
	}
	st := e.t.st
	if st.keyless() {
		return e.updateKeyless(ctx, old, new)
	}
	oldPK, err := st.pkKey(old)
	if err != nil {
		return err
	}
	newPK, err := st.pkKey(new)
	if err != nil {
		return err
	}
	if err := e.lockRow(ctx, st.rowKey(oldPK), old); err != nil {
		return err
	}
	pkChanged := !bytes.Equal(oldPK, newPK)
	if pkChanged {
		if err := e.lockForWrite(ctx, st.rowKey(newPK)); err != nil {
			return err
		}
		v, ok, err := e.tx.txn.GetCurrent(nil, st.rowKey(newPK))
		if err != nil {
			return err
		}
		if ok {
			existing, _ := codec.DecodeRow(v, st.schema)
			return sql.NewUniqueKeyErr(uniqueKeyString(new, st.def.PKOrdinals), true, existing)
		}
	}
	changes, err := e.indexChanges(ctx, old, new, oldPK, newPK, pkChanged)
	if err != nil {
		return err
	}
	enc, err := codec.EncodeRow(nil, st.schema, new)
	if err != nil {
		return err
	}
	if pkChanged {
		if err := e.countMovedRow(st.rowKey(oldPK)); err != nil {
			return err
		}
		if err := e.tx.txn.Delete(st.rowKey(oldPK)); err != nil {
			return err
		}
	}
	if err := e.tx.txn.Set(st.rowKey(newPK), enc); err != nil {
		return err
	}
	return e.finishUpdate(ctx, changes, newPK, new)
}

// indexChange moves one secondary index entry of an updated row.
type indexChange struct{ oldKey, newKey []byte }

// indexChanges lists the secondary index entries an update of old to new
// moves, checking the uniqueness of their new keys: each entry whose key
// changes and, when the primary key changes (the entries' value), every
// entry.
func (e *editor) indexChanges(ctx *sql.Context, old, new sql.Row, oldPK, newPK []byte, pkChanged bool) ([]indexChange, error) {
	st := e.t.st
	changes := make([]indexChange, 0, len(st.indexes))
	for _, ix := range st.indexes {
		ok, oldUnique, err := st.indexKey(ix, old, oldPK)
		if err != nil {
			return nil, err
		}
		nk, unique, err := st.indexKey(ix, new, newPK)
		if err != nil {
			return nil, err
		}
		same := bytes.Equal(ok, nk)
		if same && !pkChanged {
			continue
		}
		if oldUnique && !same {
			// A concurrent insert of the value this update frees waits
			// for it, as in InnoDB, instead of failing with 1062.
			if err := e.lockForWrite(ctx, ok); err != nil {
				return nil, err
			}
		}
		if unique && !same {
			if err := e.checkUnique(ctx, ix, nk, new); err != nil {
				return nil, err
			}
		}
		changes = append(changes, indexChange{ok, nk})
	}
	return changes, nil
}

// finishUpdate ends an update whose row is written: it moves the index
// entries (every delete before any set, as one entry's new key may be
// another's old one), counts the written row and moves AUTO_INCREMENT past
// the new value.
func (e *editor) finishUpdate(ctx *sql.Context, changes []indexChange, pk []byte, new sql.Row) error {
	for _, c := range changes {
		if err := e.tx.txn.Delete(c.oldKey); err != nil {
			return err
		}
	}
	for _, c := range changes {
		if err := e.tx.txn.Set(c.newKey, pk); err != nil {
			return err
		}
	}
	countWritten(ctx)
	st := e.t.st
	if st.autoIncCol >= 0 {
		if v, ok := toUint64(new[st.autoIncCol]); ok && v > 0 {
			return st.observeAutoInc(commitCtx(ctx), e.t.store(), v)
		}
	}
	return nil
}

// SetAutoIncrementValue implements sql.AutoIncrementSetter.
func (e *editor) SetAutoIncrementValue(ctx *sql.Context, v uint64) error {
	st := e.t.st
	st.counters.autoInc.Store(v)
	st.counters.reserved.Store(0)
	return st.reserveAutoInc(commitCtx(ctx), e.t.store())
}

// AcquireAutoIncrementLock implements sql.AutoIncrementSetter. Values are
// handed out atomically, so no lock is needed.
func (e *editor) AcquireAutoIncrementLock(*sql.Context) (func(), error) { return func() {}, nil }

// IndexedAccess implements sql.IndexAddressable for foreign key checks,
// which, unlike the statement's own reads, see its writes so far.
func (e *editor) IndexedAccess(_ *sql.Context, lookup sql.IndexLookup) sql.IndexedTable {
	return &IndexedTable{Table: e.t, lookup: lookup, live: true}
}

// GetIndexes implements sql.IndexAddressable.
func (e *editor) GetIndexes(ctx *sql.Context) ([]sql.Index, error) { return e.t.GetIndexes(ctx) }

// PreciseMatch implements sql.IndexAddressable.
func (e *editor) PreciseMatch() bool { return true }
