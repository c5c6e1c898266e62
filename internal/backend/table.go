package backend

import (
	"errors"
	"fmt"
	"io"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/codec"
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
)

func (t *Table) store() *storage.Store { return t.db.p.store }

// Name implements sql.Table.
func (t *Table) Name() string { return t.st.def.Name }

// String implements sql.Table.
func (t *Table) String() string { return t.st.def.Name }

// Database implements sql.Databaseable.
func (t *Table) Database() string { return t.st.db }

// Schema implements sql.Table.
func (t *Table) Schema() sql.Schema { return t.st.schema }

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
	part, ok := p.(*partition)
	if !ok {
		return nil, fmt.Errorf("unexpected partition %T", p)
	}
	view := tx.view()
	if part.live {
		view = nil
	}
	if part.lookup == nil {
		prefix := rowPrefix(t.st.def.ID)
		return newScanIter(tx.txn, view, t.st, []keySpan{{start: prefix, end: prefixEnd(prefix)}}, false, false)
	}
	return t.lookupIter(tx.txn, view, *part.lookup)
}

func (t *Table) lookupIter(txn *storage.Txn, view *storage.Savepoint, lookup sql.IndexLookup) (sql.RowIter, error) {
	ix, ok := lookup.Index.(*Index)
	if !ok {
		return nil, fmt.Errorf("index %s does not belong to guocedb", lookup.Index.ID())
	}
	if lookup.IsEmptyRange {
		return sql.RowsToRowIter(), nil
	}
	ranges, ok := lookup.Ranges.(sql.MySQLRangeCollection)
	if !ok {
		return nil, fmt.Errorf("unsupported range collection %T", lookup.Ranges)
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
			it, err := s.txn.NewIteratorAt(s.view, storage.IterOptions{Start: sp.start, End: sp.end, Reverse: s.reverse})
			if err != nil {
				return nil, err
			}
			s.it = it
		}
		if !s.it.Valid() {
			err := s.it.Err()
			s.it.Close()
			s.it = nil
			s.spans = s.spans[1:]
			if err != nil {
				return nil, err
			}
			continue
		}
		key, val := s.it.Key(), s.it.Value()
		s.it.Next()
		sp := &s.spans[0]
		if len(sp.cols) > 0 {
			ok, err := sp.matches(key[s.prefixLen:])
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		if s.secondary && len(sp.ext) > 0 {
			ok, err := sp.matchesPK(val)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
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
		row, err := codec.DecodeRow(val, s.st.schema)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", s.st.def.Name, err)
		}
		return row, nil
	}
}

func (s *scanIter) Close(*sql.Context) error {
	if s.it != nil {
		s.it.Close()
		s.it = nil
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
	return n * uint64(16*len(t.st.schema)), err
}

// RowCount implements sql.StatisticsTable. The count is an estimate: a
// key scan in the background the first time (the planner gets 0 until it
// finishes), then adjusted by every insert and delete, rolled back ones
// included. A query never waits for a scan.
func (t *Table) RowCount(*sql.Context) (uint64, bool, error) {
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
