package backend

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/guocedb/guocedb/internal/codec"
	"github.com/guocedb/guocedb/internal/storage"
)

// Migrations returns the backend's migrations of the data directory, in
// order. They need the catalog's definitions and the key layout, which the
// storage package does not know, so OpenCatalog applies them through
// Store.Migrate (same log, same migration lock) after storage's own and
// before it loads the catalog.
func Migrations() []storage.Migration {
	return []storage.Migration{{
		ID:     "0003-keyless-row-ids",
		Run:    migrateKeylessRowIDs,
		Format: 3,
	}}
}

// oldKeylessSuffixLen is the row key suffix of the format-1 keyless layout:
// an 8-byte hash of the row under a per-process seed, then an 8-byte
// hidden id (the clock at load, plus one per insert).
const oldKeylessSuffixLen = 16

// migrateKeylessRowIDs moves every table without a primary key from the
// format-1 layout (t<id>r<hash><hidden id>) to row ids (keyless.go), in
// place, in batches. Each batch deletes the old keys and writes the new
// ones (row, lookup entry, secondary index entries) in one commit, so a
// row is at every moment in exactly one layout; a crash between batches
// leaves a table in both layouts, and the next run continues with the
// rows still in the old one (told apart by key length).
//
// The new row id is the old hidden id, which grew with every insert of a
// process and started from the clock at load: the table's insertion order
// as well as the old layout recorded it. If the clock went back between
// two processes, two rows can have the same old id; the second is given an
// id past the largest one after the pass.
func migrateKeylessRowIDs(ctx context.Context, s *storage.Store) error {
	tables, err := keylessTables(s)
	if err != nil {
		return err
	}
	for _, st := range tables {
		if err := migrateKeylessTable(ctx, s, st); err != nil {
			return fmt.Errorf("table %s.%s: %w", st.db, st.def.Name, err)
		}
	}
	return nil
}

// keylessTables reads the tables without a primary key from the stored
// catalog (the in-memory one is not loaded yet).
func keylessTables(s *storage.Store) ([]*tableState, error) {
	txn := s.Begin()
	defer txn.Discard()
	p := []byte("ctbl/")
	it, err := txn.NewIterator(storage.IterOptions{Start: p, End: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []*tableState
	for ; it.Valid(); it.Next() {
		var def tableDef
		if err := json.Unmarshal(it.Value(), &def); err != nil {
			return nil, fmt.Errorf("catalog: table record %q is corrupt: %w", it.Key(), err)
		}
		if len(def.PKOrdinals) > 0 {
			continue
		}
		db, _, _ := strings.Cut(string(it.Key()[len(p):]), "\x00")
		st, err := newTableState(db, &def, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, it.Err()
}

// oldKeylessRow is a row still in the format-1 layout.
type oldKeylessRow struct{ key, value []byte }

func migrateKeylessTable(ctx context.Context, s *storage.Store, st *tableState) error {
	p := rowPrefix(st.def.ID)
	end := prefixEnd(p)
	start := p
	var maxID uint64
	var taken []oldKeylessRow
	// Per row: the row, its lookup entry and two writes per index.
	perRow := (3 + 2*len(st.indexes)) * 64
	for {
		read := s.Begin()
		it, err := read.NewIterator(storage.IterOptions{Start: start, End: end})
		if err != nil {
			read.Discard()
			return err
		}
		var batch []oldKeylessRow
		size := 0
		for ; it.Valid() && size < rewriteBatchBytes; it.Next() {
			k := it.Key()
			switch len(k) - len(p) {
			case rowIDLen:
				maxID = max(maxID, binary.BigEndian.Uint64(k[len(p):]))
			case oldKeylessSuffixLen:
				r := oldKeylessRow{key: bytes.Clone(k), value: bytes.Clone(it.Value())}
				batch = append(batch, r)
				size += len(r.key) + 2*len(r.value) + perRow
			default:
				err = fmt.Errorf("row key %x has neither layout", k)
			}
			if err != nil {
				break
			}
			start = append(bytes.Clone(k), 0)
		}
		done := !it.Valid()
		err = errors.Join(err, it.Err())
		it.Close()
		read.Discard()
		if err != nil {
			return err
		}
		if len(batch) > 0 {
			w := s.Begin()
			for _, r := range batch {
				id := r.key[len(p)+8:]
				if _, dup, err := w.Get(st.rowKey(id)); err != nil {
					w.Discard()
					return err
				} else if dup {
					taken = append(taken, r)
					continue
				}
				if err := moveKeylessRow(w, st, r, id); err != nil {
					w.Discard()
					return err
				}
				maxID = max(maxID, binary.BigEndian.Uint64(id))
			}
			if err := w.Commit(ctx); err != nil {
				return err
			}
		}
		if done {
			break
		}
	}
	// Rows whose old id another row had: ids past every one in use, in
	// batches. Still in the old layout until moved, so a crash here is
	// handled by the next run the same way.
	for len(taken) > 0 {
		n := min(len(taken), 1000)
		w := s.Begin()
		for _, r := range taken[:n] {
			if maxID == ^uint64(0) {
				w.Discard()
				return fmt.Errorf("no row id left")
			}
			maxID++
			if err := moveKeylessRow(w, st, r, binary.BigEndian.AppendUint64(nil, maxID)); err != nil {
				w.Discard()
				return err
			}
		}
		if err := w.Commit(ctx); err != nil {
			return err
		}
		taken = taken[n:]
	}
	return nil
}

// moveKeylessRow rewrites one format-1 row under row id id: the row, its
// lookup entry, and its secondary index entries, which pointed at the old
// 16-byte key suffix.
func moveKeylessRow(w *storage.Txn, st *tableState, r oldKeylessRow, id []byte) error {
	row, err := codec.DecodeRow(r.value, st.schema)
	if err != nil {
		return fmt.Errorf("row %x: %w", r.key, err)
	}
	oldPK := r.key[rowPrefixLen:]
	var newKeys [][]byte
	for _, ix := range st.indexes {
		ok, _, err := st.indexKey(ix, row, oldPK)
		if err != nil {
			return err
		}
		nk, _, err := st.indexKey(ix, row, id)
		if err != nil {
			return err
		}
		// Deletes first: a unique entry keeps its key, only its value
		// changes.
		if err := w.Delete(ok); err != nil {
			return err
		}
		newKeys = append(newKeys, nk)
	}
	for _, nk := range newKeys {
		if err := w.Set(nk, id); err != nil {
			return err
		}
	}
	if err := w.Delete(r.key); err != nil {
		return err
	}
	if err := w.Set(st.rowKey(id), r.value); err != nil {
		return err
	}
	return w.Set(st.lookupKey(rowHash(r.value), id), nil)
}
