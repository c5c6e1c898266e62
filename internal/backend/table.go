package backend

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/codec"
	"github.com/guocedb/guocedb/internal/lockmgr"
	"github.com/guocedb/guocedb/internal/storage"
)

// Table is a go-mysql-server table over one tableState. DDL methods swap
// st for the new state after persisting it, as the memory backend does
// with its data pointer.
type Table struct {
	db *Database
	st *tableState
	// temp is the owning session of a temporary table, nil otherwise.
	temp *Session
	// proj, when set, is the column projection the planner asked for
	// (sql.ProjectedTable): rows and Schema hold only these columns, in
	// this order. Projected tables are read-only copies; DDL and editors
	// always work on the full schema (st).
	proj *projection
	// ftAux marks a FULLTEXT pseudo-table opened for the engine's FULLTEXT
	// editor: its read-modify-write of word counts reads with locks
	// (PartitionRows).
	ftAux bool
}

// projection is a subset of a table's columns: names as the planner gave
// them, their ordinals in the full schema, and the resulting schema.
type projection struct {
	names    []string
	ordinals []int
	schema   sql.Schema
	// cols decodes only these columns of a stored row (nil: decode the
	// row, then apply).
	cols *codec.Columns
}

func (p *projection) apply(row sql.Row) sql.Row {
	out := make(sql.Row, len(p.ordinals))
	for i, o := range p.ordinals {
		out[i] = row[o]
	}
	return out
}

var (
	_ sql.Table                    = (*Table)(nil)
	_ sql.Databaseable             = (*Table)(nil)
	_ sql.CommentedTable           = (*Table)(nil)
	_ sql.PrimaryKeyTable          = (*Table)(nil)
	_ sql.IndexAddressableTable    = (*Table)(nil)
	_ sql.InsertableTable          = (*Table)(nil)
	_ sql.UpdatableTable           = (*Table)(nil)
	_ sql.DeletableTable           = (*Table)(nil)
	_ sql.ReplaceableTable         = (*Table)(nil)
	_ sql.TruncateableTable        = (*Table)(nil)
	_ sql.AutoIncrementTable       = (*Table)(nil)
	_ sql.StatisticsTable          = (*Table)(nil)
	_ sql.CheckTable               = (*Table)(nil)
	_ sql.CheckAlterableTable      = (*Table)(nil)
	_ sql.ForeignKeyTable          = (*Table)(nil)
	_ sql.AlterableTable           = (*Table)(nil)
	_ sql.RewritableTable          = (*Table)(nil)
	_ sql.IndexAlterableTable      = (*Table)(nil)
	_ sql.IndexBuildingTable       = (*Table)(nil)
	_ sql.PrimaryKeyAlterableTable = (*Table)(nil)
	_ sql.CollationAlterableTable  = (*Table)(nil)
	_ sql.TemporaryTable           = (*Table)(nil)
	_ sql.ProjectedTable           = (*Table)(nil)
	_ sql.ProjectedTable           = (*IndexedTable)(nil)
)

func (t *Table) store() *storage.Store { return t.db.p.store }

// Name implements sql.Table.
func (t *Table) Name() string { return t.st.def.Name }

// String implements sql.Table.
func (t *Table) String() string { return t.st.def.Name }

// Database implements sql.Databaseable.
func (t *Table) Database() string { return t.st.db }

// Schema implements sql.Table.
func (t *Table) Schema() sql.Schema {
	if t.proj != nil {
		return t.proj.schema
	}
	return t.st.schema
}

// WithProjections implements sql.ProjectedTable: a read-only copy whose
// rows hold only the named columns.
func (t *Table) WithProjections(colNames []string) sql.Table {
	return t.withProjections(colNames)
}

func (t *Table) withProjections(colNames []string) *Table {
	p := &projection{names: colNames, ordinals: make([]int, 0, len(colNames)), schema: make(sql.Schema, 0, len(colNames))}
	for _, n := range colNames {
		o := t.st.schema.IndexOfColName(n)
		if o < 0 {
			// Not a column of this table: keep the full schema rather
			// than return rows that do not match it.
			c := *t
			c.proj = nil
			return &c
		}
		p.ordinals = append(p.ordinals, o)
		p.schema = append(p.schema, t.st.schema[o])
	}
	p.cols = codec.NewColumns(len(t.st.schema), p.ordinals)
	c := *t
	c.proj = p
	return &c
}

// Projections implements sql.ProjectedTable.
func (t *Table) Projections() []string {
	if t.proj == nil {
		return nil
	}
	return t.proj.names
}

// PrimaryKeySchema implements sql.PrimaryKeyTable.
func (t *Table) PrimaryKeySchema() sql.PrimaryKeySchema { return t.st.pkSchema }

// Collation implements sql.Table.
func (t *Table) Collation() sql.CollationID { return t.st.def.Collation }

// Comment implements sql.CommentedTable.
func (t *Table) Comment() string { return t.st.def.Comment }

// partition is the whole table, or the ranges of one lookup.
type partition struct {
	lookup *sql.IndexLookup
	// live reads see the statement's own writes (foreign key checks).
	live bool
}

func (p *partition) Key() []byte { return []byte("p") }

type singlePartitionIter struct {
	p    *partition
	done bool
}

func (i *singlePartitionIter) Next(*sql.Context) (sql.Partition, error) {
	if i.done {
		return nil, io.EOF
	}
	i.done = true
	return i.p, nil
}

func (i *singlePartitionIter) Close(*sql.Context) error { return nil }

// Partitions implements sql.Table: one partition, scanned in key order.
func (t *Table) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return &singlePartitionIter{p: &partition{}}, nil
}

// PartitionRows implements sql.Table.
func (t *Table) PartitionRows(ctx *sql.Context, p sql.Partition) (sql.RowIter, error) {
	tx, err := transaction(ctx, t.store())
	if err != nil {
		return nil, err
	}
	if err := tx.beforeRead(ctx); err != nil {
		return nil, err
	}
	part, ok := p.(*partition)
	if !ok {
		return nil, fmt.Errorf("unexpected partition %T", p)
	}
	view := tx.view()
	if part.live {
		view = nil
	}
	txn, owned := t.readTxn(tx)
	if owned {
		view = nil
	}
	var it *scanIter
	if part.lookup == nil {
		prefix := rowPrefix(t.st.def.ID)
		it, err = newScanIter(txn, view, t.st, []keySpan{{start: prefix, end: prefixEnd(prefix)}}, false, false)
	} else {
		var ri sql.RowIter
		if ri, err = t.lookupIter(ctx, txn, view, *part.lookup); err == nil {
			var ok bool
			if it, ok = ri.(*scanIter); !ok {
				if owned {
					txn.Discard()
				}
				return ri, nil
			}
		}
	}
	if err != nil {
		if owned {
			txn.Discard()
		}
		return nil, err
	}
	it.ownsTxn = owned
	it.proj = t.proj
	it.store = t.store()
	it.rows = sessionRows(ctx)
	if s := sessionOf(ctx); s != nil && !owned && t.temp == nil {
		if part.live && t.ftAux {
			// The FULLTEXT editor reads a word's count, deletes it and
			// inserts it plus one: without a lock two writers would
			// both count from the same value.
			txn.StartCurrentRead()
			it.lock = &scanLock{tx: tx, mode: lockmgr.Exclusive, wait: WaitBlock}
		} else if l := s.statementLock(); !part.live && l.covers(t.st.def.Name) {
			// A locking read: rows committed after the snapshot are
			// found too, and each is locked, then read again.
			txn.StartCurrentRead()
			it.lock = &scanLock{tx: tx, mode: l.Mode, wait: l.Wait}
		}
	}
	return it, nil
}

// readTxn is the transaction to read the table's rows with: the session's,
// unless the table's rows were written by a rewrite that committed after
// the session's snapshot (DataSince). That happens inside one ALTER TABLE
// with several rewriting changes, whose later steps read the table id the
// earlier ones filled; the session's snapshot would see it empty. Such
// reads use a fresh snapshot (owned: the caller discards it).
func (t *Table) readTxn(tx *Transaction) (txn *storage.Txn, owned bool) {
	if since := t.st.def.DataSince; since != 0 && tx.txn.ReadTs() < since {
		return t.store().Begin(), true
	}
	return tx.txn, false
}

func (t *Table) lookupIter(ctx *sql.Context, txn *storage.Txn, view *storage.Savepoint, lookup sql.IndexLookup) (sql.RowIter, error) {
	ix, ok := lookup.Index.(*Index)
	if !ok {
		return nil, fmt.Errorf("index %s does not belong to guocedb", lookup.Index.ID())
	}
	ranges, ok := lookup.Ranges.(sql.MySQLRangeCollection)
	if !ok {
		return nil, fmt.Errorf("unsupported range collection %T", lookup.Ranges)
	}
	if ix.spatial {
		return t.spatialIter(txn, view, ix, ranges, lookup.IsReverse)
	}
	if lookup.VectorOrderAndLimit.OrderBy != nil {
		return t.vectorIter(ctx, txn, view, lookup.VectorOrderAndLimit)
	}
	// The engine also marks a lookup join's null-safe (<=>) lookup of a
	// NULL key as empty, though it matches the NULL entries: trust the flag
	// only when no column asks for NULL. A NULL key compared with = arrives
	// as a cut with a nil key, which matches nothing (see Index.bound).
	if lookup.IsEmptyRange && !looksUpNull(ranges) {
		return sql.RowsToRowIter(), nil
	}
	var prefix []byte
	secondary := ix.id != primaryIndexID
	if secondary {
		prefix = indexPrefix(t.st.def.ID, ix.id)
	} else {
		prefix = rowPrefix(t.st.def.ID)
	}
	spans, err := ix.spans(prefix, ranges)
	if err != nil {
		return nil, err
	}
	// For reverse lookups the engine already lists the ranges in
	// descending order; each span is then scanned backwards.
	return newScanIter(txn, view, t.st, spans, secondary, lookup.IsReverse)
}

// scanIter walks key spans of the rows or of a secondary index, in order,
// checking each entry against its span's column bounds.
type scanIter struct {
	txn       *storage.Txn
	view      *storage.Savepoint
	st        *tableState
	spans     []keySpan
	secondary bool
	reverse   bool
	it        *storage.Iterator
	prefixLen int
	ownsTxn   bool        // discard txn on Close (Table.readTxn)
	proj      *projection // columns to return, nil for all
	// store and last let a scan outlive its transaction: a stored
	// procedure's cursor is fetched across statements that each commit
	// (autocommit), which closes the iterator. The scan then resumes after
	// last (the key of the last entry read) in the session's current
	// transaction.
	store *storage.Store
	last  []byte
	// rows counts the rows returned into the session's counters (nil
	// outside a guocedb session).
	rows *rowCounts
	// lock is set for a locking read (locking.go): rows are read with
	// current reads and locked before they are returned.
	lock *scanLock
}

// scanLock is how a locking scan locks its rows.
type scanLock struct {
	tx   *Transaction
	mode lockmgr.Mode
	wait LockWait
}

func newScanIter(txn *storage.Txn, view *storage.Savepoint, st *tableState, spans []keySpan, secondary, reverse bool) (*scanIter, error) {
	s := &scanIter{txn: txn, view: view, st: st, spans: spans, secondary: secondary, reverse: reverse}
	if secondary {
		s.prefixLen = indexPrefixLen
	} else {
		s.prefixLen = rowPrefixLen
	}
	return s, nil
}

func (s *scanIter) Next(ctx *sql.Context) (sql.Row, error) {
	for {
		if s.it == nil {
			if len(s.spans) == 0 {
				return nil, io.EOF
			}
			sp := s.spans[0]
			if sp.point {
				row, ok, err := s.nextPoint(ctx)
				if err != nil || ok {
					return row, err
				}
				continue
			}
			// An entry is used before the iterator moves on, so the
			// iterator may reuse its buffers; a locking read hands the
			// key to the lock table and reads again, so it copies.
			it, err := s.txn.NewIteratorAt(s.view, storage.IterOptions{Start: sp.start, End: sp.end, Reverse: s.reverse, Current: s.lock != nil, Reuse: s.lock == nil})
			if err != nil {
				return nil, err
			}
			s.it = it
		}
		if !s.it.Valid() {
			if !s.ownsTxn && s.store != nil && s.txn.Done() {
				// Closed by the end of its transaction, not exhausted.
				if err := s.resume(ctx); err != nil {
					return nil, err
				}
				continue
			}
			err := s.it.Err()
			s.it.Close()
			s.it = nil
			s.spans = s.spans[1:]
			if err != nil {
				return nil, err
			}
			continue
		}
		// The entry is used before Next: the iterator may reuse the
		// key's and value's buffers for the next one.
		key, val := s.it.Key(), s.it.Value()
		s.last = append(s.last[:0], key...)
		row, ok, err := s.entry(ctx, key, val)
		s.it.Next()
		if err != nil || ok {
			return row, err
		}
	}
}

// entry turns the iterator's entry into a row: ok is false when the
// span's column bounds or a locking read skip it.
func (s *scanIter) entry(ctx *sql.Context, key, val []byte) (row sql.Row, ok bool, err error) {
	sp := &s.spans[0]
	if len(sp.cols) > 0 {
		if ok, err := sp.matches(key[s.prefixLen:]); err != nil || !ok {
			return nil, false, err
		}
	}
	if s.secondary && len(sp.ext) > 0 {
		if ok, err := sp.matchesPK(val); err != nil || !ok {
			return nil, false, err
		}
	}
	if s.lock != nil {
		return s.lockedRow(ctx, key, val)
	}
	row, err = s.row(val)
	return row, err == nil, err
}

// lockedRow locks the row of the entry key (a row key, or a secondary
// index entry whose value is the primary key) and reads it again: ok is
// false when it is gone, no longer has that index entry, or is skipped
// (SKIP LOCKED).
func (s *scanIter) lockedRow(ctx *sql.Context, key, val []byte) (row sql.Row, ok bool, err error) {
	rk := key
	if s.secondary {
		rk = s.st.rowKey(val)
	}
	if err := s.lock.tx.lock(ctx, rk, s.lock.mode, s.lock.wait); err != nil {
		if errors.Is(err, errSkipRow) {
			return nil, false, nil
		}
		return nil, false, err
	}
	if !s.secondary && s.it != nil && s.it.Fresh() {
		// Read from a snapshot no older than the lock: no commit of the
		// row can have come between (the common, uncontended case).
		row, err = s.decode(val)
		return row, err == nil, err
	}
	if s.secondary {
		ev, found, err := s.txn.GetCurrent(s.view, key)
		if err != nil || !found || !bytes.Equal(ev, val) {
			return nil, false, err
		}
	}
	v, found, err := s.txn.GetCurrent(s.view, rk)
	if err != nil || !found {
		return nil, false, err
	}
	row, err = s.decode(v)
	return row, err == nil, err
}

// nextPoint reads the point span first in line with one Get (a Badger
// iterator costs more to create than the whole read) and drops it. ok is
// false when the key is absent.
func (s *scanIter) nextPoint(ctx *sql.Context) (row sql.Row, ok bool, err error) {
	sp := s.spans[0]
	s.spans = s.spans[1:]
	if !s.ownsTxn && s.store != nil && s.txn.Done() {
		// A cursor fetched after its transaction ended (scanIter.store).
		if err := s.rebind(ctx); err != nil {
			return nil, false, err
		}
	}
	if s.lock != nil {
		// The key is locked even when absent: an insert of it waits
		// (SELECT ... FOR UPDATE of a missing row, then INSERT).
		if err := s.lock.tx.lock(ctx, sp.start, s.lock.mode, s.lock.wait); err != nil {
			if errors.Is(err, errSkipRow) {
				return nil, false, nil
			}
			return nil, false, err
		}
		val, found, err := s.txn.GetCurrent(s.view, sp.start)
		if err != nil || !found {
			return nil, false, err
		}
		s.last = append(s.last[:0], sp.start...)
		if !s.secondary {
			row, err = s.decode(val)
			return row, err == nil, err
		}
		return s.lockedRow(ctx, sp.start, val)
	}
	val, found, err := s.txn.GetAt(s.view, sp.start)
	if err != nil || !found {
		return nil, false, err
	}
	s.last = append(s.last[:0], sp.start...)
	row, err = s.row(val)
	return row, err == nil, err
}

// row decodes a primary key entry's value, or follows a secondary entry's
// value (the primary key) to the row.
func (s *scanIter) row(val []byte) (sql.Row, error) {
	if s.secondary {
		rv, ok, err := s.txn.GetAt(s.view, s.st.rowKey(val))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("table %s: index entry without row (index is inconsistent)", s.st.def.Name)
		}
		val = rv
	}
	return s.decode(val)
}

// decode decodes a row's value, projects and counts it. A projection
// decodes only its columns (sysbench's range statements read one of four).
func (s *scanIter) decode(val []byte) (sql.Row, error) {
	var row sql.Row
	var err error
	if s.proj != nil && s.proj.cols != nil {
		row, err = codec.DecodeColumns(val, s.st.schema, s.proj.cols)
	} else if row, err = codec.DecodeRow(val, s.st.schema); err == nil && s.proj != nil {
		row = s.proj.apply(row)
	}
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", s.st.def.Name, err)
	}
	if s.rows != nil {
		s.rows.read.Add(1)
	}
	return row, nil
}

// resume continues a scan whose transaction finished (see scanIter.store)
// in the statement's current transaction, after the last entry read.
func (s *scanIter) resume(ctx *sql.Context) error {
	s.it.Close()
	s.it = nil
	if err := s.rebind(ctx); err != nil {
		return err
	}
	if s.last != nil && len(s.spans) > 0 {
		sp := &s.spans[0]
		if s.reverse {
			// A copy: last is the scan's buffer, rewritten per entry.
			sp.end = append([]byte(nil), s.last...)
		} else {
			sp.start = append(append([]byte(nil), s.last...), 0)
		}
	}
	return nil
}

// rebind moves the scan to the statement's current transaction.
func (s *scanIter) rebind(ctx *sql.Context) error {
	tx, err := transaction(ctx, s.store)
	if err != nil {
		return err
	}
	s.txn, s.view = tx.txn, tx.view()
	return nil
}

func (s *scanIter) Close(*sql.Context) error {
	if s.it != nil {
		s.it.Close()
		s.it = nil
	}
	if s.ownsTxn {
		s.ownsTxn = false
		s.txn.Discard()
	}
	return nil
}

// GetIndexes implements sql.IndexAddressable.
func (t *Table) GetIndexes(*sql.Context) ([]sql.Index, error) {
	// The planner asks on every query; the list is built once per table
	// definition (newTableState). Callers get their own slice.
	return append([]sql.Index(nil), t.st.planIndexes...), nil
}

// IndexedAccess implements sql.IndexAddressable.
func (t *Table) IndexedAccess(_ *sql.Context, lookup sql.IndexLookup) sql.IndexedTable {
	return &IndexedTable{Table: t, lookup: lookup}
}

// PreciseMatch implements sql.IndexAddressable: lookups return exactly the
// rows in their ranges (prefix indexes excepted; the planner knows).
func (t *Table) PreciseMatch() bool { return true }

// IndexedTable is a table restricted to one index lookup.
type IndexedTable struct {
	*Table
	lookup sql.IndexLookup
	live   bool
}

var _ sql.IndexedTable = (*IndexedTable)(nil)

// WithProjections implements sql.ProjectedTable, keeping the lookup.
func (t *IndexedTable) WithProjections(colNames []string) sql.Table {
	return &IndexedTable{Table: t.Table.withProjections(colNames), lookup: t.lookup, live: t.live}
}

// LookupPartitions implements sql.IndexedTable.
func (t *IndexedTable) LookupPartitions(_ *sql.Context, lookup sql.IndexLookup) (sql.PartitionIter, error) {
	return &singlePartitionIter{p: &partition{lookup: &lookup, live: t.live}}, nil
}

// Partitions implements sql.Table.
func (t *IndexedTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return &singlePartitionIter{p: &partition{lookup: &t.lookup, live: t.live}}, nil
}

// DataLength implements sql.StatisticsTable (an estimate).
func (t *Table) DataLength(ctx *sql.Context) (uint64, error) {
	n, _, err := t.RowCount(ctx)
	return n * rowWidth(t.st.schema), err
}

// rowWidth estimates a row's size for DataLength: 8 bytes per number and
// per other fixed-size value, a string's maximum length capped at 256 (a
// long text column is rarely full).
func rowWidth(sch sql.Schema) uint64 {
	var w uint64
	for _, c := range sch {
		if st, ok := c.Type.(sql.StringType); ok {
			w += min(uint64(st.MaxByteLength()), 256)
			continue
		}
		w += 8
	}
	return w
}

// RowCount implements sql.StatisticsTable. It is exact when the table
// keeps count deltas and the statement may use it (rowcount.go);
// otherwise it is an estimate: a
// key scan in the background the first time (the planner gets 0 until it
// finishes), then adjusted by every insert and delete, rolled back ones
// included. A query never waits for a scan.
func (t *Table) RowCount(ctx *sql.Context) (uint64, bool, error) {
	if n, exact, err := t.exactRowCount(ctx); err != nil || exact {
		return n, exact, err
	}
	if err := t.fulltextRowCount(ctx); err != nil {
		return 0, false, err
	}
	c := t.st.counters
	if !c.rowsKnown.Load() && c.counting.CompareAndSwap(false, true) {
		if !t.db.p.catalog.background(t.countInBackground) {
			c.counting.Store(false)
		}
	}
	return uint64(max(c.rows.Load(), 0)), false, nil
}

func (t *Table) countInBackground(stop <-chan struct{}) {
	txn := t.store().Begin()
	defer txn.Discard()
	n, err := countKeys(txn, rowPrefix(t.st.def.ID), stop)
	c := t.st.counters
	if err != nil {
		c.counting.Store(false)
		return
	}
	// Adjustments made while counting are lost: it is an estimate.
	c.rows.Store(n)
	c.rowsKnown.Store(true)
}

// errStopped ends a background scan at shutdown.
var errStopped = errors.New("stopped")

// countKeys counts the keys under prefix; a non-nil stop aborts it.
func countKeys(txn *storage.Txn, prefix []byte, stop <-chan struct{}) (int64, error) {
	it, err := txn.NewIterator(storage.IterOptions{Start: prefix, End: prefixEnd(prefix), KeysOnly: true})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var n int64
	for ; it.Valid(); it.Next() {
		if n++; n%4096 == 0 && stop != nil {
			select {
			case <-stop:
				return n, errStopped
			default:
			}
		}
	}
	return n, it.Err()
}

// IsTemporary implements sql.TemporaryTable.
func (t *Table) IsTemporary() bool { return t.temp != nil }

// GetChecks implements sql.CheckTable.
func (t *Table) GetChecks(*sql.Context) ([]sql.CheckDefinition, error) {
	return append([]sql.CheckDefinition(nil), t.st.def.Checks...), nil
}

// PeekNextAutoIncrementValue implements sql.AutoIncrementTable.
func (t *Table) PeekNextAutoIncrementValue(*sql.Context) (uint64, error) {
	return t.st.counters.autoInc.Load(), nil
}

// GetNextAutoIncrementValue implements sql.AutoIncrementTable. A NULL
// (or 0) insert takes the next value atomically, so concurrent inserters
// never receive the same one.
func (t *Table) GetNextAutoIncrementValue(ctx *sql.Context, insertVal any) (uint64, error) {
	c := t.st.counters
	if insertVal == nil {
		v := c.autoInc.Add(1) - 1
		return v, t.st.reserveAutoInc(commitCtx(ctx), t.store())
	}
	given, ok := toUint64(insertVal)
	if !ok {
		return c.autoInc.Load(), nil
	}
	for {
		cur := c.autoInc.Load()
		if given <= cur || c.autoInc.CompareAndSwap(cur, given) {
			return c.autoInc.Load(), nil
		}
	}
}

// AutoIncrementSetter implements sql.AutoIncrementTable.
func (t *Table) AutoIncrementSetter(ctx *sql.Context) sql.AutoIncrementSetter {
	return t.editor(ctx)
}

// looksUpNull reports whether some range asks for exactly the NULL entries
// of a column (sql.NullRangeColumnExpr).
func looksUpNull(ranges sql.MySQLRangeCollection) bool {
	for _, r := range ranges {
		for _, ce := range r {
			_, lo := ce.LowerBound.(sql.BelowNull)
			_, hi := ce.UpperBound.(sql.AboveNull)
			if lo && hi {
				return true
			}
		}
	}
	return false
}
