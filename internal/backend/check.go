package backend

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/guocedb/guocedb/internal/codec"
	"github.com/guocedb/guocedb/internal/storage"
)

// CheckOptions configures Check.
type CheckOptions struct {
	// Progress, when set, is called with the table keys (rows and index
	// entries) read so far and their total.
	Progress func(done, total int64)
}

// knownIndexFields are the JSON fields of indexDef this check understands.
// An index record with any other field is of a kind added after this code
// (as FULLTEXT was): it is skipped with a note rather than judged by rules
// that may not apply to it.
var knownIndexFields = map[string]bool{"id": true, "name": true, "columns": true, "unique": true, "comment": true, "building": true, "fulltext": true, "spatial": true, "vector": true}

// checkedTable is a table definition loaded for the check.
type checkedTable struct {
	db, key string
	st      *tableState
	indexes []*indexState // the indexes whose entries are checked
}

// Check verifies that the catalog, the rows and every secondary index of
// store agree: each row decodes and sits under its primary key, has its
// entry in every index, and each index entry points to a row that has the
// entry's values; each table's exact row count equals its rows; every
// catalog record decodes and points to something; no data lies under ids
// nothing names. It reads one snapshot and writes
// nothing, so it may run on a read-only store (storage.OpenReadOnly). The
// error is for failures to read; inconsistencies are in the report.
func Check(ctx context.Context, store *storage.Store, opts CheckOptions) (*CheckReport, error) {
	txn := store.Begin()
	defer txn.Discard()
	r := &CheckReport{}
	tables, gc, err := checkCatalog(txn, r)
	if err != nil {
		return r, err
	}
	total, err := countCheckKeys(txn, []byte{nsTable}, []byte{nsTable + 1})
	if err != nil {
		return r, err
	}
	var done int64
	tick := func() error {
		if done++; done%4096 == 0 {
			if opts.Progress != nil {
				opts.Progress(done, total)
			}
			return ctx.Err()
		}
		return nil
	}
	if opts.Progress != nil {
		opts.Progress(0, total)
	}
	byID := make(map[uint64]*checkedTable, len(tables))
	for _, ct := range tables {
		byID[ct.st.def.ID] = ct
		before := r.Rows
		if err := checkRows(txn, ct, r, tick); err != nil {
			return r, err
		}
		if err := checkRowCount(txn, ct, r.Rows-before, r); err != nil {
			return r, err
		}
		for _, ix := range ct.indexes {
			if err := checkIndex(txn, ct, ix, r, tick); err != nil {
				return r, err
			}
		}
		if ct.st.keyless() {
			if err := checkLookup(txn, ct, r, tick); err != nil {
				return r, err
			}
		}
	}
	if err := checkOrphans(txn, byID, gc, r); err != nil {
		return r, err
	}
	if opts.Progress != nil {
		opts.Progress(total, total)
	}
	return r, ctx.Err()
}

// checkCatalog reads every catalog record and returns the tables whose
// definitions load, in name order, and the table ids awaiting deletion.
func checkCatalog(txn *storage.Txn, r *CheckReport) ([]*checkedTable, map[uint64]bool, error) {
	it, err := txn.NewIterator(storage.IterOptions{Start: []byte{nsCatalog}, End: []byte{nsCatalog + 1}})
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	dbs := map[string]bool{}
	gc := map[uint64]bool{}
	var lastID uint64
	type rawTable struct {
		db, key string
		value   []byte
	}
	var raw []rawTable
	var objects [][2]string // db, record key
	for ; it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		switch {
		case bytes.HasPrefix(k, dbPrefix()):
			var d databaseDef
			if err := json.Unmarshal(v, &d); err != nil {
				r.add(Problem{Kind: ProblemCatalog, Key: k, Detail: fmt.Sprintf("database record does not decode: %v", err)})
				continue
			}
			if strings.ToLower(d.Name) != string(k[len(dbPrefix()):]) {
				r.add(Problem{Kind: ProblemCatalog, Database: d.Name, Key: k, Detail: "database record stored under another name"})
			}
			dbs[string(k[len(dbPrefix()):])] = true
			r.Databases++
		case bytes.HasPrefix(k, []byte("ctbl/")):
			db, table, _ := strings.Cut(string(k[len("ctbl/"):]), "\x00")
			raw = append(raw, rawTable{db: db, key: table, value: v})
		case bytes.HasPrefix(k, []byte("cobj/")):
			_, rest, _ := strings.Cut(string(k[len("cobj/"):]), "/")
			db, _, _ := strings.Cut(rest, "\x00")
			objects = append(objects, [2]string{db, string(k)})
			if !json.Valid(v) {
				r.add(Problem{Kind: ProblemCatalog, Database: db, Key: k, Detail: "view, trigger, procedure or event record is not valid JSON"})
			}
		case bytes.Equal(k, keyTableSeq):
			if len(v) != 8 {
				r.add(Problem{Kind: ProblemCatalog, Key: k, Detail: fmt.Sprintf("table id sequence is %d bytes, not 8", len(v))})
				continue
			}
			lastID = binary.BigEndian.Uint64(v)
		case bytes.HasPrefix(k, gcPrefix) && len(k) == len(gcPrefix)+8:
			gc[binary.BigEndian.Uint64(k[len(gcPrefix):])] = true
		}
	}
	if err := it.Err(); err != nil {
		return nil, nil, err
	}
	for _, o := range objects {
		if !dbs[o[0]] {
			r.add(Problem{Kind: ProblemCatalog, Database: o[0], Key: []byte(o[1]), Detail: "object of a database that does not exist"})
		}
	}
	var out []*checkedTable
	ids := map[uint64]string{}
	for _, rt := range raw {
		key := []byte("ctbl/" + rt.db + "\x00" + rt.key)
		ct, ok := loadCheckedTable(rt.db, rt.key, key, rt.value, r)
		if !ok {
			continue
		}
		def := ct.st.def
		bad := func(detail string) {
			r.add(Problem{Kind: ProblemCatalog, Database: rt.db, Table: def.Name, Key: key, Detail: detail})
		}
		switch {
		case !dbs[rt.db]:
			bad("table of a database that does not exist")
			continue
		case strings.ToLower(def.Name) != rt.key:
			bad(fmt.Sprintf("definition of table %q stored under name %q", def.Name, rt.key))
		case def.ID == 0 || def.ID > lastID:
			bad(fmt.Sprintf("table id %d was never handed out (last is %d)", def.ID, lastID))
		case gc[def.ID]:
			bad(fmt.Sprintf("table id %d is scheduled for deletion", def.ID))
		}
		if other, dup := ids[def.ID]; dup {
			bad(fmt.Sprintf("table id %d is also used by %s", def.ID, other))
			continue
		}
		ids[def.ID] = rt.db + "." + def.Name
		r.Tables++
		r.Indexes += len(ct.indexes)
		out = append(out, ct)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].db+"\x00"+out[i].key < out[j].db+"\x00"+out[j].key
	})
	return out, gc, nil
}

// loadCheckedTable decodes a table record, noting the indexes it will not
// check.
func loadCheckedTable(db, name string, key, value []byte, r *CheckReport) (*checkedTable, bool) {
	var def tableDef
	var shape struct {
		Indexes []map[string]json.RawMessage `json:"indexes"`
	}
	err := json.Unmarshal(value, &def)
	if err == nil {
		// The same bytes decoded into def; they decode into maps too.
		err = json.Unmarshal(value, &shape)
	}
	if err != nil {
		r.add(Problem{Kind: ProblemCatalog, Database: db, Table: name, Key: key, Detail: fmt.Sprintf("table record does not decode: %v", err)})
		return nil, false
	}
	st, err := newTableState(db, &def, nil)
	if err != nil {
		r.add(Problem{Kind: ProblemCatalog, Database: db, Table: def.Name, Key: key, Detail: fmt.Sprintf("definition does not load: %v", err)})
		return nil, false
	}
	ct := &checkedTable{db: db, key: name, st: st}
	// Raw index records and def.Indexes decode from the same JSON array,
	// so they align by position; the states (st.indexes) hold only the
	// key-range indexes, so they are matched by id.
	skip := map[uint32]bool{}
	for i, idef := range def.Indexes {
		var unknown []string
		if i < len(shape.Indexes) {
			for f := range shape.Indexes[i] {
				if !knownIndexFields[f] {
					unknown = append(unknown, f)
				}
			}
		}
		sort.Strings(unknown)
		switch {
		case idef.Fulltext != nil:
			skip[idef.ID] = true
			r.note("%s.%s index %s: FULLTEXT, its entries are in pseudo-tables (checked as tables); their agreement with the rows is not checked", db, def.Name, idef.Name)
		case idef.Spatial || idef.Vector:
			skip[idef.ID] = true
			r.note("%s.%s index %s: SPATIAL or VECTOR, it keeps no entries to check", db, def.Name, idef.Name)
		case len(unknown) > 0:
			skip[idef.ID] = true
			r.note("%s.%s index %s: skipped, a kind this check does not know (fields %s)", db, def.Name, idef.Name, strings.Join(unknown, ", "))
		case idef.Building:
			skip[idef.ID] = true
			r.note("%s.%s index %s: skipped, still being built", db, def.Name, idef.Name)
		}
	}
	for _, ix := range st.indexes {
		if !skip[ix.def.ID] {
			ct.indexes = append(ct.indexes, ix)
		}
	}
	return ct, true
}

func countCheckKeys(txn *storage.Txn, start, end []byte) (int64, error) {
	it, err := txn.NewIterator(storage.IterOptions{Start: start, End: end, KeysOnly: true})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var n int64
	for ; it.Valid(); it.Next() {
		n++
	}
	return n, it.Err()
}

// checkRows reads every row of a table: it must decode, sit under its
// primary key, and have its entry in every checked index.
func checkRows(txn *storage.Txn, ct *checkedTable, r *CheckReport, tick func() error) error {
	st := ct.st
	p := rowPrefix(st.def.ID)
	it, err := txn.NewIterator(storage.IterOptions{Start: p, End: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	problem := func(kind ProblemKind, index string, key []byte, detail string) {
		r.add(Problem{Kind: kind, Database: ct.db, Table: st.def.Name, Index: index, Key: append([]byte(nil), key...), Detail: detail})
	}
	for ; it.Valid(); it.Next() {
		if err := tick(); err != nil {
			return err
		}
		r.Rows++
		key := it.Key()
		pk := key[len(p):]
		row, err := codec.DecodeRow(it.Value(), st.schema)
		if err != nil {
			problem(ProblemUndecodableRow, "", key, fmt.Sprintf("row does not decode: %v", err))
			continue
		}
		if st.keyless() {
			// Keyed by a hidden row id, found through the lookup index
			// by a hash of the stored encoding (keyless.go).
			if len(pk) != rowIDLen {
				problem(ProblemRowKey, "", key, fmt.Sprintf("row of a table without primary key has a %d-byte row id, not %d", len(pk), rowIDLen))
				continue
			}
			_, ok, err := txn.Get(st.lookupKey(rowHash(it.Value()), pk))
			if err != nil {
				return err
			}
			if !ok {
				problem(ProblemMissingEntry, "(row lookup)", key, "row has no entry in the hidden lookup index")
			}
		} else {
			want, err := st.pkKey(row)
			if err != nil || !bytes.Equal(want, pk) {
				problem(ProblemRowKey, "", key, "row is stored under a key its primary key values do not encode to")
				continue
			}
		}
		for _, ix := range ct.indexes {
			ik, _, err := st.indexKey(ix, row, pk)
			if err != nil {
				problem(ProblemMissingEntry, ix.def.Name, key, fmt.Sprintf("index key cannot be encoded: %v", err))
				continue
			}
			v, ok, err := txn.Get(ik)
			switch {
			case err != nil:
				return err
			case !ok:
				problem(ProblemMissingEntry, ix.def.Name, key, "row has no entry in the index")
			case !bytes.Equal(v, pk):
				problem(ProblemWrongEntry, ix.def.Name, key, "the row's index entry names another row (duplicate UNIQUE value or stale entry)")
			}
		}
	}
	return it.Err()
}

// checkIndex reads every entry of one index: its row must exist and still
// have the values the entry is keyed on.
func checkIndex(txn *storage.Txn, ct *checkedTable, ix *indexState, r *CheckReport, tick func() error) error {
	st := ct.st
	p := indexPrefix(st.def.ID, ix.def.ID)
	it, err := txn.NewIterator(storage.IterOptions{Start: p, End: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	problem := func(kind ProblemKind, key []byte, detail string) {
		r.add(Problem{Kind: kind, Database: ct.db, Table: st.def.Name, Index: ix.def.Name, Key: append([]byte(nil), key...), Detail: detail})
	}
	for ; it.Valid(); it.Next() {
		if err := tick(); err != nil {
			return err
		}
		r.IndexEntries++
		key, pk := it.Key(), it.Value()
		v, ok, err := txn.Get(st.rowKey(pk))
		if err != nil {
			return err
		}
		if !ok {
			problem(ProblemDanglingEntry, key, "index entry points to a row that does not exist")
			continue
		}
		row, err := codec.DecodeRow(v, st.schema)
		if err != nil {
			continue // reported by checkRows
		}
		want, _, err := st.indexKey(ix, row, pk)
		if err != nil || !bytes.Equal(want, key) {
			problem(ProblemStaleEntry, key, "index entry does not match the values of the row it points to")
		}
	}
	return it.Err()
}

// checkOrphans walks the table namespace id by id (seeking past each
// table's keys) and reports data that no definition names: table ids not
// in the catalog nor awaiting deletion, and index ids a table does not
// define (a DROP INDEX interrupted half way).
func checkOrphans(txn *storage.Txn, byID map[uint64]*checkedTable, gc map[uint64]bool, r *CheckReport) error {
	start := []byte{nsTable}
	end := []byte{nsTable + 1}
	for {
		k, ok, err := firstKey(txn, start, end)
		if err != nil || !ok {
			return err
		}
		if len(k) < rowPrefixLen {
			r.add(Problem{Kind: ProblemOrphanData, Key: k, Detail: "key too short for the table namespace"})
			start = append(append([]byte(nil), k...), 0)
			continue
		}
		id := binary.BigEndian.Uint64(k[1:9])
		next := prefixEnd(tableDataPrefix(id))
		ct := byID[id]
		switch {
		case ct == nil && !gc[id]:
			r.add(Problem{Kind: ProblemOrphanData, Key: k, Detail: fmt.Sprintf("data under table id %d, which no table definition names", id)})
		case ct != nil:
			if err := checkIndexIDs(txn, ct, r); err != nil {
				return err
			}
		}
		if next == nil {
			return nil
		}
		start = next
	}
}

func checkIndexIDs(txn *storage.Txn, ct *checkedTable, r *CheckReport) error {
	known := map[uint32]bool{}
	for _, ix := range ct.st.def.Indexes {
		known[ix.ID] = true
	}
	if ct.st.keyless() {
		known[lookupIndexID] = true
	}
	base := append(tableDataPrefix(ct.st.def.ID), tagIndex)
	start, end := base, prefixEnd(base)
	for {
		k, ok, err := firstKey(txn, start, end)
		if err != nil || !ok {
			return err
		}
		if len(k) < indexPrefixLen {
			r.add(Problem{Kind: ProblemOrphanData, Database: ct.db, Table: ct.st.def.Name, Key: k, Detail: "index key too short"})
			start = append(append([]byte(nil), k...), 0)
			continue
		}
		ixID := binary.BigEndian.Uint32(k[rowPrefixLen:indexPrefixLen])
		if !known[ixID] {
			r.add(Problem{Kind: ProblemOrphanData, Database: ct.db, Table: ct.st.def.Name, Key: k, Detail: fmt.Sprintf("entries under index id %d, which the table does not define", ixID)})
		}
		start = prefixEnd(indexPrefix(ct.st.def.ID, ixID))
		if start == nil || bytes.Compare(start, end) >= 0 {
			return nil
		}
	}
}

func firstKey(txn *storage.Txn, start, end []byte) ([]byte, bool, error) {
	it, err := txn.NewIterator(storage.IterOptions{Start: start, End: end, KeysOnly: true})
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	if !it.Valid() {
		return nil, false, it.Err()
	}
	return append([]byte(nil), it.Key()...), true, nil
}

// checkRowCount compares a table's exact row count (its base and deltas,
// rowcount.go) with the rows read. Keyless tables keep no deltas (their
// base stays 0), and a table without a base keeps no exact count yet:
// both are skipped.
func checkRowCount(txn *storage.Txn, ct *checkedTable, rows int64, r *CheckReport) error {
	if ct.st.keyless() {
		return nil
	}
	p := countPrefix(ct.st.def.ID)
	it, err := txn.NewIterator(storage.IterOptions{Start: p, End: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	if !it.Valid() || !bytes.Equal(it.Key(), countBaseKey(ct.st.def.ID)) {
		return it.Err()
	}
	var sum int64
	for ; it.Valid(); it.Next() {
		d, err := decodeCount(it.Value())
		if err != nil {
			r.add(Problem{Kind: ProblemRowCount, Database: ct.db, Table: ct.st.def.Name, Key: append([]byte(nil), it.Key()...), Detail: err.Error()})
			return nil
		}
		sum += d
	}
	if err := it.Err(); err != nil {
		return err
	}
	if sum != rows {
		r.add(Problem{Kind: ProblemRowCount, Database: ct.db, Table: ct.st.def.Name, Detail: fmt.Sprintf("the exact row count says %d rows, the table holds %d", sum, rows)})
	}
	return nil
}

// checkLookup reads the hidden lookup index of a table without primary
// key: each entry (hash, row id) must name a stored row whose encoding has
// that hash.
func checkLookup(txn *storage.Txn, ct *checkedTable, r *CheckReport, tick func() error) error {
	st := ct.st
	p := indexPrefix(st.def.ID, lookupIndexID)
	it, err := txn.NewIterator(storage.IterOptions{Start: p, End: prefixEnd(p), KeysOnly: true})
	if err != nil {
		return err
	}
	defer it.Close()
	problem := func(kind ProblemKind, key []byte, detail string) {
		r.add(Problem{Kind: kind, Database: ct.db, Table: st.def.Name, Index: "(row lookup)", Key: append([]byte(nil), key...), Detail: detail})
	}
	for ; it.Valid(); it.Next() {
		if err := tick(); err != nil {
			return err
		}
		r.IndexEntries++
		key := it.Key()
		if len(key) != len(p)+8+rowIDLen {
			problem(ProblemStaleEntry, key, "lookup entry of the wrong length")
			continue
		}
		h := binary.BigEndian.Uint64(key[len(p):])
		v, ok, err := txn.Get(st.rowKey(key[len(p)+8:]))
		switch {
		case err != nil:
			return err
		case !ok:
			problem(ProblemDanglingEntry, key, "lookup entry points to a row that does not exist")
		case rowHash(v) != h:
			problem(ProblemStaleEntry, key, "lookup entry's hash does not match the row it points to")
		}
	}
	return it.Err()
}
