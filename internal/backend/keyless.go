package backend

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/cespare/xxhash/v2"
	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/codec"
	"github.com/guocedb/guocedb/internal/storage"
)

// Tables without a primary key (keyless.go, docs/storage.md):
//
//	t <table id> 'r' <row id>                          -> encoded row
//	t <table id> 'i' <lookupIndexID> <hash> <row id>   -> empty
//	a <table id> 'r'                                   -> row id reservation
//
// The row id is 8 bytes big-endian, strictly increasing and never reused,
// so a full scan returns rows in insertion order (InnoDB's DB_ROW_ID). The
// lookup index maps a stable hash (xxhash64) of the encoded row to the row
// ids that may hold it: UPDATE and DELETE are given only the row's values
// and find the stored row there, comparing the full encoded value.
// Secondary indexes point at the row id, as they point at the primary key
// of other tables.

// lookupIndexID is the index id of the hidden lookup index of keyless
// tables. Secondary index ids count up from 1 (NextIndexID), so they never
// reach it.
const lookupIndexID = ^uint32(0)

// rowIDLen is the length of a hidden row id (the row key suffix).
const rowIDLen = 8

// rowIDReserve is how many row ids are made durable ahead of use: one
// extra commit per this many inserts. A crash skips at most this many ids;
// none is ever handed out twice.
const rowIDReserve = 4096

// rowHash is the lookup hash of an encoded row. It must never change for
// a given encoding: stored lookup entries are keyed by it.
func rowHash(enc []byte) uint64 { return xxhash.Sum64(enc) }

// rowIDCounterKey holds a keyless table's row id reservation: every id
// handed out is below the stored value.
func rowIDCounterKey(tableID uint64) []byte { return append(counterKey(tableID), tagRow) }

// lookupHashPrefix covers the lookup entries of rows whose hash is h. It
// is built in one allocation with room for the row id (lookupKey): it is
// on every insert's path.
func (t *tableState) lookupHashPrefix(h uint64) []byte {
	k := make([]byte, 0, indexPrefixLen+8+rowIDLen)
	k = binary.BigEndian.AppendUint64(append(k, nsTable), t.def.ID)
	k = binary.BigEndian.AppendUint32(append(k, tagIndex), lookupIndexID)
	return binary.BigEndian.AppendUint64(k, h)
}

// lookupKey is the lookup entry of the row with hash h stored under id.
func (t *tableState) lookupKey(h uint64, id []byte) []byte {
	return append(t.lookupHashPrefix(h), id...)
}

// nextRowID hands out a fresh row id, first making sure it is covered by
// the durable reservation, so that no later process hands it out again.
func (t *tableState) nextRowID(ctx context.Context, store *storage.Store) ([]byte, error) {
	c := t.counters
	id := c.rowID.Add(1) - 1
	if id >= c.rowIDReserved.Load() {
		c.mu.Lock()
		if id >= c.rowIDReserved.Load() {
			r := max(c.rowID.Load(), id+1) + rowIDReserve
			err := store.DirectCommit(ctx, &storage.WriteSet{Mutations: []storage.Mutation{{Key: rowIDCounterKey(t.def.ID), Value: binary.BigEndian.AppendUint64(nil, r)}}})
			if err != nil {
				c.mu.Unlock()
				return nil, fmt.Errorf("persist row id reservation: %w", err)
			}
			c.rowIDReserved.Store(r)
		}
		c.mu.Unlock()
	}
	return binary.BigEndian.AppendUint64(make([]byte, 0, rowIDLen), id), nil
}

// loadRowID restores the row id counter of a keyless table: the durable
// reservation, or one past the last row key if that is higher (a directory
// migrated from the old layout has rows but no reservation yet).
func (t *tableState) loadRowID(txn *storage.Txn) error {
	if !t.keyless() {
		return nil
	}
	next := uint64(1)
	v, ok, err := txn.Get(rowIDCounterKey(t.def.ID))
	if err != nil {
		return err
	}
	if ok && len(v) == 8 {
		next = max(next, binary.BigEndian.Uint64(v))
	}
	p := rowPrefix(t.def.ID)
	it, err := txn.NewIterator(storage.IterOptions{Start: p, End: prefixEnd(p), Reverse: true, KeysOnly: true})
	if err != nil {
		return err
	}
	defer it.Close()
	if it.Valid() {
		if k := it.Key(); len(k) == rowPrefixLen+rowIDLen {
			if last := binary.BigEndian.Uint64(k[rowPrefixLen:]); last != ^uint64(0) {
				next = max(next, last+1)
			}
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	t.counters.rowID.Store(next)
	// Nothing above next is durable yet: the first insert reserves.
	t.counters.rowIDReserved.Store(next)
	return nil
}

// findKeyless returns the row id of a stored row equal to row, with the
// row's encoding and hash (id nil when there is none). Of identical rows it
// returns the one with the lowest id that is not in avoid, else the lowest
// one; a statement deleting several of them sees its own deletes, so each
// call finds another one.
func (e *editor) findKeyless(row sql.Row, avoid map[string]struct{}) (id, enc []byte, h uint64, err error) {
	st := e.t.st
	if enc, err = codec.EncodeRow(nil, st.schema, row); err != nil {
		return nil, nil, 0, err
	}
	h = rowHash(enc)
	p := st.lookupHashPrefix(h)
	it, err := e.tx.txn.NewIterator(storage.IterOptions{Start: p, End: prefixEnd(p), KeysOnly: true, Current: true})
	if err != nil {
		return nil, nil, 0, err
	}
	defer it.Close()
	var fallback []byte
	for ; it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != len(p)+rowIDLen {
			continue
		}
		cand := append([]byte(nil), k[len(p):]...)
		v, ok, err := e.tx.txn.GetCurrent(nil, st.rowKey(cand))
		if err != nil {
			return nil, nil, 0, err
		}
		// A hash collision, or an entry whose row is gone: compare the
		// whole value.
		if !ok || !bytes.Equal(v, enc) {
			continue
		}
		if _, skip := avoid[string(cand)]; !skip {
			return cand, enc, h, nil
		}
		if fallback == nil {
			fallback = cand
		}
	}
	return fallback, enc, h, it.Err()
}

// updateKeyless changes a stored row in place: it keeps its row id (and so
// its place in insertion order), as InnoDB keeps DB_ROW_ID. A row that is
// not stored is inserted, as the old delete-then-insert did.
//
// The engine names the row only by its values, and an earlier update of the
// same statement may have given another row those values (UPDATE t SET
// a = a + 1 over 1 and 2 makes the first row 2 before the second is
// updated); rows this statement already updated are taken last, so that
// each row is updated once and keeps its place.
func (e *editor) updateKeyless(ctx *sql.Context, old, new sql.Row) error {
	st := e.t.st
	id, _, oldHash, err := e.findKeyless(old, e.updated)
	if err != nil {
		return err
	}
	if id == nil {
		return e.Insert(ctx, new)
	}
	if err := e.lockRow(ctx, st.rowKey(id), old); err != nil {
		return err
	}
	if e.updated == nil {
		e.updated = map[string]struct{}{}
	}
	e.updated[string(id)] = struct{}{}
	changes, err := e.indexChanges(ctx, old, new, id, id, false)
	if err != nil {
		return err
	}
	enc, err := codec.EncodeRow(nil, st.schema, new)
	if err != nil {
		return err
	}
	if err := e.tx.txn.Set(st.rowKey(id), enc); err != nil {
		return err
	}
	if newHash := rowHash(enc); newHash != oldHash {
		if err := e.tx.txn.Delete(st.lookupKey(oldHash, id)); err != nil {
			return err
		}
		if err := e.tx.txn.Set(st.lookupKey(newHash, id), nil); err != nil {
			return err
		}
	}
	return e.finishUpdate(ctx, changes, id, new)
}
