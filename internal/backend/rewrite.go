package backend

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/codec"
	"github.com/guocedb/guocedb/internal/storage"
)

// rewriteBatchBytes bounds one commit of a table rewrite: a small commit
// log entry, and a write set that does not hold the memory of a whole
// table (the apply would split a larger one over Badger batches).
const rewriteBatchBytes = 4 << 20

// rewriter fills a new table id with rows in bounded batches and installs
// the new definition atomically when done. Until then the new id is
// invisible; if the rewrite fails or the server crashes, the collector
// deletes it (its gc record is written first).
type rewriter struct {
	t      *Table
	old    *tableState
	def    *tableDef
	st     *tableState
	txn    *storage.Txn
	size   int
	rows   int64 // rows written, the new table id's count base
	prog   *rebuildProgress
	failed bool
	closed bool
}

var _ sql.RowInserter = (*rewriter)(nil)

func (t *Table) newRewriter(ctx *sql.Context, def *tableDef, newID bool) (*rewriter, error) {
	if newID {
		id, err := t.db.p.catalog.newTableID(commitCtx(ctx))
		if err != nil {
			return nil, err
		}
		def.ID = id
	}
	st, err := newTableState(t.st.db, def, nil)
	if err != nil {
		return nil, err
	}
	return &rewriter{t: t, old: t.st, def: def, st: st, txn: t.store().Begin(), prog: t.startProgress(ctx)}, nil
}

func (r *rewriter) StatementBegin(*sql.Context) {}

func (r *rewriter) DiscardChanges(*sql.Context, error) error {
	r.failed = true
	return nil
}

func (r *rewriter) StatementComplete(*sql.Context) error { return nil }

// Insert writes one row (or, when building a single index, only its entry).
func (r *rewriter) Insert(ctx *sql.Context, row sql.Row) error {
	st := r.st
	var pk []byte
	var err error
	if st.keyless() {
		// The new table id is private to this rewrite until installed:
		// ids count up from 1 without reservations, and Close hands the
		// counter to the installed state (whose first insert reserves).
		pk = binary.BigEndian.AppendUint64(nil, st.counters.rowID.Add(1)-1)
	} else if pk, err = st.pkKey(row); err != nil {
		return err
	}
	{
		rk := st.rowKey(pk)
		if !st.keyless() {
			if _, ok, err := r.txn.Get(rk); err != nil {
				return err
			} else if ok {
				return sql.ErrPrimaryKeyViolation.New(fmt.Sprintf("%s: %s", st.def.Name, uniqueKeyString(row, st.def.PKOrdinals)))
			}
		}
		enc, err := codec.EncodeRow(nil, st.schema, row)
		if err != nil {
			return err
		}
		if err := r.txn.Set(rk, enc); err != nil {
			return err
		}
		r.size += len(rk) + len(enc)
		if st.keyless() {
			lk := st.lookupKey(rowHash(enc), pk)
			if err := r.txn.Set(lk, nil); err != nil {
				return err
			}
			r.size += len(lk)
		}
		r.rows++
	}
	for _, ix := range st.indexes {
		k, unique, err := st.indexKey(ix, row, pk)
		if err != nil {
			return err
		}
		if unique {
			if _, ok, err := r.txn.Get(k); err != nil {
				return err
			} else if ok {
				// The kind's message has no verb: the key goes in the cause.
				return sql.ErrUniqueKeyViolation.Wrap(fmt.Errorf("%s for key '%s'", uniqueKeyString(row, ix.ordinals), ix.def.Name))
			}
		}
		if err := r.txn.Set(k, pk); err != nil {
			return err
		}
		r.size += len(k) + len(pk)
	}
	if st.autoIncCol >= 0 {
		if v, ok := toUint64(row[st.autoIncCol]); ok && v >= r.st.counters.autoInc.Load() {
			r.st.counters.autoInc.Store(v + 1)
		}
	}
	if r.size >= rewriteBatchBytes {
		return r.flush(ctx)
	}
	if r.rows%progressRows == 0 {
		r.prog.update(r.rows)
	}
	return nil
}

func (r *rewriter) flush(ctx *sql.Context) error {
	err := r.txn.Commit(commitCtx(ctx))
	r.txn = r.t.store().Begin()
	r.size = 0
	if err == nil {
		r.prog.update(r.rows)
	}
	return err
}

// Close installs the new definition, or abandons the new data after a
// failure.
func (r *rewriter) Close(ctx *sql.Context) error {
	if r.closed {
		return nil
	}
	r.closed = true
	defer r.prog.finish()
	if r.failed {
		r.txn.Discard()
		if r.def.ID != r.old.def.ID {
			r.t.db.p.catalog.abandonTableID(r.def.ID)
		}
		return nil
	}
	if r.def.ID != r.old.def.ID {
		// The rewrite is the only writer of its new id until installed:
		// its row count is exact (rowcount.go).
		if err := r.txn.Set(countBaseKey(r.def.ID), encodeCount(r.rows)); err != nil {
			r.txn.Discard()
			r.t.db.p.catalog.abandonTableID(r.def.ID)
			return err
		}
	}
	if err := r.flush(ctx); err != nil {
		r.txn.Discard()
		r.t.db.p.catalog.abandonTableID(r.def.ID)
		return err
	}
	r.txn.Discard()
	for i := range r.def.Indexes {
		r.def.Indexes[i].Building = false
	}
	if r.def.ID != r.old.def.ID {
		// The rows were committed after the statement's snapshot: record
		// from when readers see them (a later rewrite in the same ALTER
		// reads this table id).
		probe := r.t.store().Begin()
		r.def.DataSince = probe.ReadTs()
		probe.Discard()
	}
	auto := r.st.counters.autoInc.Load()
	rowID := r.st.counters.rowID.Load()
	if err := r.t.install(ctx, r.def); err != nil {
		return err
	}
	if r.def.ID != r.old.def.ID && auto > r.t.st.counters.autoInc.Load() {
		r.t.st.counters.autoInc.Store(auto)
	}
	if r.def.ID != r.old.def.ID && rowID > r.t.st.counters.rowID.Load() {
		r.t.st.counters.rowID.Store(rowID)
	}
	return r.t.rebuildFulltextAfterRewrite(ctx, r.old)
}

// ShouldRewriteTable implements sql.RewritableTable. Rows are stored
// positionally for the exact schema, so every change of column set, order,
// type or primary key rewrites the table; renames, comments and defaults
// only change the definition.
func (t *Table) ShouldRewriteTable(_ *sql.Context, oldSchema, newSchema sql.PrimaryKeySchema, oldColumn, newColumn *sql.Column) bool {
	if len(oldSchema.Schema) != len(newSchema.Schema) || len(oldSchema.PkOrdinals) != len(newSchema.PkOrdinals) {
		return true
	}
	for i := range oldSchema.PkOrdinals {
		if oldSchema.PkOrdinals[i] != newSchema.PkOrdinals[i] {
			return true
		}
	}
	if oldColumn == nil || newColumn == nil {
		return true
	}
	if oldColumn.AutoIncrement != newColumn.AutoIncrement {
		return true // the rewrite sets the AUTO_INCREMENT counter past the stored values
	}
	if oldSchema.Schema.IndexOfColName(oldColumn.Name) != newSchema.Schema.IndexOfColName(newColumn.Name) {
		return true
	}
	return oldColumn.Type.String() != newColumn.Type.String() || sridOf(oldColumn.Type) != sridOf(newColumn.Type)
}

// sridOf is a spatial type's declared SRID (-1 when none), which
// Type.String() leaves out: a new SRID must re-check every stored value.
func sridOf(t sql.Type) int64 {
	if sc, ok := t.(sql.SpatialColumnType); ok {
		if v, defined := sc.GetSpatialTypeSRID(); defined {
			return int64(v)
		}
	}
	return -1
}

// RewriteInserter implements sql.RewritableTable: the engine streams every
// row, projected to newSchema, into the returned inserter.
func (t *Table) RewriteInserter(ctx *sql.Context, oldSchema, newSchema sql.PrimaryKeySchema, oldColumn, newColumn *sql.Column, idxCols []sql.IndexColumn) (sql.RowInserter, error) {
	if len(oldSchema.PkOrdinals) > 0 && len(newSchema.PkOrdinals) == 0 {
		if err := sql.ValidatePrimaryKeyDrop(ctx, t, oldSchema); err != nil {
			return nil, err
		}
	}
	def := t.st.def.clone()
	def.Columns = columnDefs(newSchema.Schema)
	def.PKOrdinals = append([]int(nil), newSchema.PkOrdinals...)
	rename := map[string]string{}
	if oldColumn != nil && newColumn != nil && !strings.EqualFold(oldColumn.Name, newColumn.Name) {
		rename[strings.ToLower(oldColumn.Name)] = newColumn.Name
	}
	keepFloatScales(def.Columns, t.st.def.Columns, rename)
	def.Indexes = remapIndexes(def.Indexes, newSchema.Schema, rename)
	r, err := t.newRewriter(ctx, def, true)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// remapIndexes follows column renames and drops columns (and then empty
// indexes) that are gone from sch.
func remapIndexes(in []indexDef, sch sql.Schema, rename map[string]string) []indexDef {
	var out []indexDef
	for _, ix := range in {
		var cols []sql.IndexColumn
		for _, c := range ix.Columns {
			if n, ok := rename[strings.ToLower(c.Name)]; ok {
				c.Name = n
			}
			if sch.IndexOfColName(c.Name) >= 0 {
				cols = append(cols, c)
			}
		}
		if len(cols) == 0 {
			continue
		}
		ix.Columns = cols
		out = append(out, ix)
	}
	return out
}

// AddColumn implements sql.AlterableTable. The engine always rewrites
// (ShouldRewriteTable), so this is reached only for layout-free changes.
func (t *Table) AddColumn(*sql.Context, *sql.Column, *sql.ColumnOrder) error {
	return fmt.Errorf("ADD COLUMN on %s requires a table rewrite", t.Name())
}

// DropColumn implements sql.AlterableTable; see AddColumn.
func (t *Table) DropColumn(*sql.Context, string) error {
	return fmt.Errorf("DROP COLUMN on %s requires a table rewrite", t.Name())
}

// ModifyColumn implements sql.AlterableTable for changes that keep the
// stored layout: rename, comment, default, nullability.
func (t *Table) ModifyColumn(ctx *sql.Context, columnName string, column *sql.Column, order *sql.ColumnOrder) error {
	pos := t.st.schema.IndexOfColName(columnName)
	if pos < 0 {
		return sql.ErrTableColumnNotFound.New(t.Name(), columnName)
	}
	if order != nil && !orderKeepsPosition(t.st.schema, pos, order) {
		return fmt.Errorf("moving column %s requires a table rewrite", columnName)
	}
	if t.st.schema[pos].Type.String() != column.Type.String() || sridOf(t.st.schema[pos].Type) != sridOf(column.Type) {
		return fmt.Errorf("changing the type of column %s requires a table rewrite", columnName)
	}
	sch := t.st.schema.Copy()
	c := *column
	c.PrimaryKey = sch[pos].PrimaryKey
	c.Nullable = c.Nullable && !c.PrimaryKey
	sch[pos] = &c
	def := t.st.def.clone()
	def.Columns = columnDefs(sch)
	rename := map[string]string{}
	if !strings.EqualFold(columnName, column.Name) {
		rename[strings.ToLower(columnName)] = column.Name
	}
	keepFloatScales(def.Columns, t.st.def.Columns, rename)
	def.Indexes = remapIndexes(def.Indexes, sch, rename)
	return t.replace(ctx, def)
}

// replace persists def (same table id) and makes it this table's state.
func (t *Table) replace(ctx *sql.Context, def *tableDef) error { return t.install(ctx, def) }

// install makes def the table's definition: through the catalog for
// permanent tables, in the owning session for temporary ones (whose old
// table id, if replaced, goes to the collector).
func (t *Table) install(ctx *sql.Context, def *tableDef) error {
	if t.temp != nil {
		counters := t.st.counters
		if def.ID != t.st.def.ID {
			counters = nil
		}
		st, err := newTableState(t.st.db, def, counters)
		if err != nil {
			return err
		}
		if def.ID != t.st.def.ID {
			st.counters.autoInc.Store(t.st.counters.autoInc.Load())
			t.db.p.catalog.abandonTableID(t.st.def.ID)
		}
		t.temp.setTempTable(t.st.db, t.st.def.Name, nil)
		t.temp.setTempTable(t.st.db, def.Name, st)
		t.st = st
		return nil
	}
	st, err := t.db.p.catalog.replaceTable(commitCtx(ctx), t.st.db, t.st, def)
	if err != nil {
		return err
	}
	t.st = st
	return nil
}

// orderKeepsPosition reports whether FIRST / AFTER names the position the
// column at pos already has (ALTER ... MODIFY c ... FIRST on the first
// column changes no stored layout).
func orderKeepsPosition(sch sql.Schema, pos int, order *sql.ColumnOrder) bool {
	switch {
	case order.First:
		return pos == 0
	case order.AfterColumn != "":
		return sch.IndexOfColName(order.AfterColumn) == pos-1
	}
	return true
}
