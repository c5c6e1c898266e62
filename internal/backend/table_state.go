package backend

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/codec"
	"github.com/guocedb/guocedb/internal/storage"
)

// autoIncReserve is how far ahead of use AUTO_INCREMENT values are made
// durable. A crash can skip at most this many values; none is ever reused.
const autoIncReserve = 100

// tableState is an immutable snapshot of a table's definition with
// everything derived from it; DDL builds a new one. counters is shared by
// the states of one table id.
type tableState struct {
	db       string
	def      *tableDef
	schema   sql.Schema
	pkSchema sql.PrimaryKeySchema
	indexes  []*indexState // secondary indexes, building ones included
	fulltext []*indexState // FULLTEXT indexes: no key range, see fulltext.go
	// entryless are the SPATIAL and VECTOR indexes: no entries to maintain
	// (spatial.go, vector.go).
	entryless []*indexState
	pkTypes   []sql.Type

	autoIncCol int
	counters   *tableCounters

	// planIndexes is what GetIndexes returns: PRIMARY, then the published
	// secondary indexes by name, as SHOW CREATE TABLE lists them.
	planIndexes []sql.Index
}

type tableCounters struct {
	autoInc atomic.Uint64 // next AUTO_INCREMENT value
	rowID   atomic.Uint64 // next hidden row id of a keyless table (keyless.go)

	// rows estimates the row count once rowsKnown; editors adjust it.
	rows      atomic.Int64
	rowsKnown atomic.Bool
	counting  atomic.Bool // a background count is running or done

	// deltas counts committed transactions with a count delta since the
	// last fold; folding is set while one runs or waits, lastFold is when
	// the last one ended (unix nanoseconds; rowcount.go).
	deltas   atomic.Int64
	folding  atomic.Bool
	lastFold atomic.Int64

	mu       sync.Mutex    // serialises reservations
	reserved atomic.Uint64 // autoInc values below this are durable
	// rowIDReserved: row ids below this are durable (keyless.go).
	rowIDReserved atomic.Uint64
}

// indexState is a secondary index with its column positions resolved.
type indexState struct {
	def      indexDef
	ordinals []int
	types    []sql.Type
	prefix   []uint16
}

func newTableState(db string, def *tableDef, counters *tableCounters) (*tableState, error) {
	sch, err := def.schema(db)
	if err != nil {
		return nil, err
	}
	st := &tableState{
		db:         db,
		def:        def,
		schema:     sch,
		pkSchema:   sql.NewPrimaryKeySchema(sch, def.PKOrdinals...),
		autoIncCol: -1,
		counters:   counters,
	}
	for i, c := range sch {
		if c.AutoIncrement {
			st.autoIncCol = i
		}
	}
	for _, o := range def.PKOrdinals {
		st.pkTypes = append(st.pkTypes, sch[o].Type)
	}
	for _, idef := range def.Indexes {
		is := &indexState{def: idef}
		for _, ic := range idef.Columns {
			o := sch.IndexOfColName(ic.Name)
			if o < 0 {
				return nil, fmt.Errorf("table %s: index %s names missing column %s", def.Name, idef.Name, ic.Name)
			}
			is.ordinals = append(is.ordinals, o)
			is.types = append(is.types, sch[o].Type)
			is.prefix = append(is.prefix, uint16(ic.Length))
		}
		if idef.Fulltext != nil {
			st.fulltext = append(st.fulltext, is)
			continue
		}
		if idef.Spatial || idef.Vector {
			st.entryless = append(st.entryless, is)
			continue
		}
		st.indexes = append(st.indexes, is)
	}
	st.planIndexes = st.buildPlanIndexes()
	if st.counters == nil {
		st.counters = &tableCounters{}
		st.counters.autoInc.Store(1)
		st.counters.rowID.Store(1)
	}
	return st, nil
}

func (t *tableState) keyless() bool { return len(t.def.PKOrdinals) == 0 }

func (t *tableState) buildPlanIndexes() []sql.Index {
	var out []sql.Index
	if !t.keyless() {
		out = append(out, newIndex(t, "PRIMARY", primaryIndexID, true, "", t.def.PKOrdinals, nil))
	}
	first := len(out)
	for _, ix := range t.indexes {
		if !ix.def.Building {
			out = append(out, newIndex(t, ix.def.Name, ix.def.ID, ix.def.Unique, ix.def.Comment, ix.ordinals, ix.prefix))
		}
	}
	for _, ix := range t.fulltext {
		out = append(out, newFulltextIndex(t, ix))
	}
	out = append(out, t.entrylessPlanIndexes()...)
	sort.Slice(out[first:], func(i, j int) bool { return out[first+i].ID() < out[first+j].ID() })
	return out
}

// loadCounters restores the AUTO_INCREMENT counter: the durable
// reservation, or one past the largest key if that is higher.
func (t *tableState) loadCounters(txn *storage.Txn) error {
	if err := t.loadRowID(txn); err != nil {
		return err
	}
	if t.autoIncCol < 0 {
		return nil
	}
	v, ok, err := txn.Get(counterKey(t.def.ID))
	if err != nil {
		return err
	}
	next := uint64(1)
	if ok && len(v) == 8 {
		next = binary.BigEndian.Uint64(v)
	}
	if len(t.def.PKOrdinals) > 0 && t.def.PKOrdinals[0] == t.autoIncCol {
		p := rowPrefix(t.def.ID)
		it, err := txn.NewIterator(storage.IterOptions{Start: p, End: prefixEnd(p), Reverse: true})
		if err != nil {
			return err
		}
		if it.Valid() {
			row, err := codec.DecodeRow(it.Value(), t.schema)
			if err == nil {
				if m, ok := toUint64(row[t.autoIncCol]); ok && m+1 > next {
					next = m + 1
				}
			}
		}
		it.Close()
	}
	t.counters.autoInc.Store(next)
	t.counters.reserved.Store(next)
	return nil
}

func toUint64(v any) (uint64, bool) {
	switch n := v.(type) {
	case int8:
		return uint64(max(n, 0)), true
	case int16:
		return uint64(max(n, 0)), true
	case int32:
		return uint64(max(n, 0)), true
	case int64:
		return uint64(max(n, 0)), true
	case uint8:
		return uint64(n), true
	case uint16:
		return uint64(n), true
	case uint32:
		return uint64(n), true
	case uint64:
		return n, true
	case float32:
		return uint64(max(n, 0)), true
	case float64:
		return uint64(max(n, 0)), true
	}
	return 0, false
}

// observeAutoInc moves the counter past v (an explicitly inserted value)
// and makes the new high-water mark durable when it passes the
// reservation.
func (t *tableState) observeAutoInc(ctx context.Context, store *storage.Store, v uint64) error {
	for {
		cur := t.counters.autoInc.Load()
		if v < cur || v == ^uint64(0) || t.counters.autoInc.CompareAndSwap(cur, v+1) {
			break
		}
	}
	return t.reserveAutoInc(ctx, store)
}

func (t *tableState) reserveAutoInc(ctx context.Context, store *storage.Store) error {
	c := t.counters
	if c.autoInc.Load() < c.reserved.Load() {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := c.autoInc.Load()
	if next < c.reserved.Load() {
		return nil
	}
	r := next + autoIncReserve
	err := store.DirectCommit(ctx, &storage.WriteSet{Mutations: []storage.Mutation{{Key: counterKey(t.def.ID), Value: binary.BigEndian.AppendUint64(nil, r)}}})
	if err != nil {
		return fmt.Errorf("persist AUTO_INCREMENT: %w", err)
	}
	c.reserved.Store(r)
	return nil
}

// pkKey returns the encoded primary key of row (without the table prefix).
// Keyless tables have none: their rows are keyed by a hidden row id
// (nextRowID, keyless.go).
func (t *tableState) pkKey(row sql.Row) ([]byte, error) {
	if t.keyless() {
		return nil, fmt.Errorf("table %s has no primary key", t.def.Name)
	}
	var k []byte
	var err error
	for i, o := range t.def.PKOrdinals {
		if k, err = codec.AppendKey(k, t.pkTypes[i], row[o], 0); err != nil {
			return nil, fmt.Errorf("primary key column %s: %w", t.schema[o].Name, err)
		}
	}
	return k, nil
}

func (t *tableState) rowKey(pk []byte) []byte {
	p := rowPrefix(t.def.ID)
	return append(p, pk...)
}

// indexKey returns the key of row's entry in index ix. Unique indexes key
// on the indexed values alone (so two writers of one value conflict), unless
// a value is NULL: NULLs never collide, so the primary key is appended.
func (t *tableState) indexKey(ix *indexState, row sql.Row, pk []byte) ([]byte, bool, error) {
	k := indexPrefix(t.def.ID, ix.def.ID)
	hasNull := false
	var err error
	for i, o := range ix.ordinals {
		if row[o] == nil {
			hasNull = true
		}
		if k, err = codec.AppendKey(k, ix.types[i], row[o], ix.prefix[i]); err != nil {
			return nil, false, fmt.Errorf("index %s column %s: %w", ix.def.Name, t.schema[o].Name, err)
		}
	}
	unique := ix.def.Unique && !hasNull
	if !unique {
		k = append(k, pk...)
	}
	return k, unique, nil
}

// uniqueKeyString renders the indexed values for a duplicate key error.
func uniqueKeyString(row sql.Row, ordinals []int) string {
	parts := make([]string, len(ordinals))
	for i, o := range ordinals {
		parts[i] = fmt.Sprint(sqlValueString(row[o]))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func sqlValueString(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	default:
		return fmt.Sprint(x)
	}
}
