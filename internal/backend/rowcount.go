package backend

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/sqltext"
	"github.com/guocedb/guocedb/internal/storage"
)

// Exact row counts (go-mysql-server answers COUNT(*) of a whole table from
// sql.StatisticsTable.RowCount when it reports the count exact).
//
// Every committing transaction that inserts or deletes rows of a table
// writes one count delta under a key of its own,
//
//	t <table id> 'n' <read ts> <random>  -> int64 delta
//
// in the same write set as the rows, through the one commit path. No two
// transactions write the same delta key, so counting adds no write-write
// conflict between concurrent writers of a table. The delta is an ordinary
// buffered write: statement rollback, savepoints and ROLLBACK restore it
// with the rows, and a reader's own uncommitted delta is merged into its
// scan like any of its writes.
//
// The count at a snapshot is the sum of the deltas visible there, starting
// from the base (the same key with an all-zero suffix, sorting first). A
// table without a visible base has no exact count: one created before this
// layout, or a rewritten table id before its base is written. A background
// fold keeps the number of deltas small: it adds a run of deltas visible
// at its snapshot to the base and deletes them, in one commit; readers on
// either side of that commit get the same sum. The first fold of a table
// without a base counts the rows at its snapshot S and writes
// base = rows(S) - (sum of the deltas visible at S), deleting nothing.

const (
	tagCount = 'n'
	// countSuffixLen is the read timestamp and a random number.
	countSuffixLen = 16
	// foldAfter is how many delta keys (or committed transactions with
	// deltas) a table gathers before a fold; foldBatch bounds one fold.
	foldAfter = 256
	foldBatch = 16384 // more than a second of commits at foldInterval
	// foldInterval spaces a table's folds: a fold's iterator walks the
	// tombstones of the deltas earlier folds deleted (until Badger
	// compacts them away) besides the live ones, so a fold every 256
	// commits took 5% of the server's CPU under sysbench's oltp_insert. A
	// fold that is due waits for the interval instead of being dropped, so
	// the deltas are always folded in the end; between folds a COUNT(*)
	// sums the deltas of at most foldInterval of commits.
	foldInterval = time.Second
	// countQueryScan bounds how much of a query's text is searched for
	// COUNT (see wantsExactCount).
	countQueryScan = 8 << 10
)

func countPrefix(tableID uint64) []byte { return append(tableDataPrefix(tableID), tagCount) }

// countBaseKey is the base of a table's count: the all-zero suffix sorts
// before every delta.
func countBaseKey(tableID uint64) []byte {
	return append(countPrefix(tableID), make([]byte, countSuffixLen)...)
}

func encodeCount(n int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }

func decodeCount(v []byte) (int64, error) {
	if len(v) != 8 {
		return 0, errors.New("row count delta: bad length")
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// countBaseMutation sets the count of a table id known to be empty (a new
// or truncated table), so that its count is exact from the start.
func countBaseMutation(tableID uint64) storage.Mutation {
	return storage.Mutation{Key: countBaseKey(tableID), Value: encodeCount(0)}
}

// counted reports whether the table keeps count deltas. Keyless tables do
// not (go-mysql-server never asks them for an exact count), nor temporary
// ones (session-local, never folded).
func (t *Table) counted() bool { return t.temp == nil && !t.st.keyless() }

// countedTable is a table the transaction wrote a count delta for, with
// the delta's key.
type countedTable struct {
	st  *tableState
	key []byte
}

// addCount adds d to the transaction's count delta for the table.
func (e *editor) addCount(d int64) error {
	if !e.t.counted() {
		return nil
	}
	tx, st := e.tx, e.t.st
	var key []byte
	for _, c := range tx.counted {
		if c.st.def.ID == st.def.ID {
			key = c.key
			break
		}
	}
	if key == nil {
		// The read timestamp keeps the key unique across restarts (a later
		// transaction reads at a later or equal timestamp), the random part
		// among the transactions sharing a snapshot; its low bit set keeps
		// the suffix from being the base's all-zero one.
		key = make([]byte, 0, 1+8+1+countSuffixLen)
		key = append(binary.BigEndian.AppendUint64(append(key, nsTable), st.def.ID), tagCount)
		key = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(key, tx.txn.ReadTs()), rand.Uint64()|1)
		tx.counted = append(tx.counted, countedTable{st: st, key: key})
	}
	v, ok, err := tx.txn.GetBuffered(key)
	if err != nil {
		return err
	}
	var cur int64
	if ok {
		if cur, err = decodeCount(v); err != nil {
			return err
		}
	}
	return tx.txn.Set(key, encodeCount(cur+d))
}

// countMovedRow keeps the count exact when an update moves a row to a new
// primary key: the new key is known to be free, so the count grows only
// if the old row was not there (already deleted by the same statement).
func (e *editor) countMovedRow(oldKey []byte) error {
	if !e.t.counted() {
		return nil
	}
	_, exists, err := e.tx.txn.Get(oldKey)
	if err != nil || exists {
		return err
	}
	return e.addCount(1)
}

// committed is called after the transaction committed: tables that
// gathered enough deltas get a fold.
func (t *Transaction) committed(c *Catalog) {
	for _, ct := range t.counted {
		if ct.st.counters.deltas.Add(1) >= foldAfter {
			c.scheduleFold(ct.st)
		}
	}
	t.counted = nil
}

// wantsExactCount reports whether the statement can use an exact count.
// go-mysql-server uses exactness only to replace COUNT(*), at analysis
// time: the count is baked into the plan. That is right for a query,
// which reads one view, but not for a write statement whose triggers
// count a table they write to (each row's trigger must see the rows the
// earlier ones added, and trigger bodies are analyzed once, with the
// statement). So only queries get an exact count: the statement's text
// starts with SELECT, WITH or TABLE and mentions COUNT; summing the deltas
// costs an iterator, which other queries should not pay. A statement
// without text is an internal analysis (go-mysql-server's plan tests).
// Reporting a count as inexact is always safe.
func wantsExactCount(ctx *sql.Context) bool {
	q := ctx.Query()
	if q == "" {
		return true
	}
	if len(q) > countQueryScan {
		q = q[:countQueryScan]
	}
	return mentionsCount(q) && isQuery(q)
}

// mentionsCount reports whether q contains "count" in any case, without
// allocating (it runs for every statement the planner costs).
func mentionsCount(q string) bool {
	for i := 0; i+5 <= len(q); i++ {
		if (q[i]|0x20) == 'c' && strings.EqualFold(q[i:i+5], "count") {
			return true
		}
	}
	return false
}

// wordIn reports whether w is one of words, ignoring case.
func wordIn(w string, words ...string) bool {
	for _, x := range words {
		if strings.EqualFold(w, x) {
			return true
		}
	}
	return false
}

// isQuery reports whether a statement is a query: SELECT, WITH or TABLE,
// or EXPLAIN / DESCRIBE of one (their options skipped).
func isQuery(q string) bool {
	for range 8 {
		w := sqltext.FirstWord(q)
		switch {
		case wordIn(w, "select", "with", "table"):
			return true
		case wordIn(w, "explain", "describe", "desc", "plan", "format", "tree", "json", "traditional", "analyze", "estimates", "extended"):
			q = strings.TrimLeft(q, " \t\r\n(")
			q = q[strings.Index(q, w)+len(w):]
			q = strings.TrimLeft(q, "= ")
		default:
			return false
		}
	}
	return false
}

// exactRowCount returns the row count of the table at the statement's
// snapshot, with the transaction's own changes, or ok false when there is
// no exact count to give.
func (t *Table) exactRowCount(ctx *sql.Context) (n uint64, ok bool, err error) {
	if !t.counted() || !wantsExactCount(ctx) {
		return 0, false, nil
	}
	tx, err := transaction(ctx, t.store())
	if err != nil {
		return 0, false, err
	}
	if since := t.st.def.DataSince; since != 0 && tx.txn.ReadTs() < since {
		return 0, false, nil // the rows are read from a newer snapshot (readTxn)
	}
	p := countPrefix(t.st.def.ID)
	it, err := tx.txn.NewIteratorAt(tx.view(), storage.IterOptions{Start: p, End: prefixEnd(p)})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	base := countBaseKey(t.st.def.ID)
	hasBase := it.Valid() && bytes.Equal(it.Key(), base)
	var sum int64
	keys := 0
	for ; it.Valid(); it.Next() {
		d, err := decodeCount(it.Value())
		if err != nil {
			return 0, false, err
		}
		sum += d
		keys++
	}
	if err := it.Err(); err != nil {
		return 0, false, err
	}
	if !hasBase || keys > foldAfter {
		t.db.p.catalog.scheduleFold(t.st)
	}
	if !hasBase || sum < 0 {
		return 0, false, nil
	}
	return uint64(sum), true, nil
}

// scheduleFold starts a background fold of the table's deltas unless one
// is running.
func (c *Catalog) scheduleFold(st *tableState) {
	if !st.counters.folding.CompareAndSwap(false, true) {
		return
	}
	if !c.background(func(stop <-chan struct{}) {
		defer st.counters.folding.Store(false)
		defer func() { st.counters.lastFold.Store(time.Now().UnixNano()) }()
		if wait := time.Until(time.Unix(0, st.counters.lastFold.Load()).Add(foldInterval)); wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-t.C:
			case <-stop:
				return
			}
		}
		if err := c.fold(st.def.ID, stop); err != nil && !errors.Is(err, errStopped) && !errors.Is(err, storage.ErrConflict) {
			c.logger.Warn("row count fold failed", "component", "backend", "table", st.def.Name, "err", err)
		}
	}) {
		st.counters.folding.Store(false)
	}
	st.counters.deltas.Store(0)
}

// fold merges up to foldBatch deltas of table id into its base, or writes
// the first base (see the top of this file), in one commit.
func (c *Catalog) fold(id uint64, stop <-chan struct{}) error {
	txn := c.store.Begin()
	defer txn.Discard()
	p := countPrefix(id)
	it, err := txn.NewIterator(storage.IterOptions{Start: p, End: prefixEnd(p)})
	if err != nil {
		return err
	}
	base := countBaseKey(id)
	hasBase := it.Valid() && bytes.Equal(it.Key(), base)
	var sum int64
	var folded [][]byte
	for ; it.Valid(); it.Next() {
		d, err := decodeCount(it.Value())
		if err != nil {
			it.Close()
			return err
		}
		if hasBase && len(folded) == foldBatch {
			break
		}
		sum += d
		if !bytes.Equal(it.Key(), base) {
			folded = append(folded, it.Key())
		}
	}
	err = it.Err()
	it.Close()
	if err != nil {
		return err
	}
	if !hasBase {
		rows, err := countKeys(txn, rowPrefix(id), stop)
		if err != nil {
			return err
		}
		return c.commitFold(txn, id, rows-sum, nil)
	}
	if len(folded) == 0 {
		return nil
	}
	return c.commitFold(txn, id, sum, folded)
}

// commitFold writes the new base and deletes the folded deltas, unless the
// table id has been dropped or rewritten meanwhile: its keys belong to the
// collector then. The catalog's read lock is held across the commit, so
// that a DROP or rewrite (which takes the write lock) schedules the
// collection only after it, and the collector sees the base.
func (c *Catalog) commitFold(txn *storage.Txn, id uint64, base int64, folded [][]byte) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.tableIDLiveLocked(id) {
		return nil
	}
	if err := txn.Set(countBaseKey(id), encodeCount(base)); err != nil {
		return err
	}
	for _, k := range folded {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	// One commit, so one commit log entry: a fold half applied after a
	// crash (the new base without all of its deletes) would count the
	// remaining deltas twice, and a log entry is applied whole or not at
	// all.
	return txn.Commit(context.Background())
}

// tableIDLiveLocked reports whether a table of the catalog has id.
func (c *Catalog) tableIDLiveLocked(id uint64) bool {
	for _, d := range c.dbs {
		for _, st := range d.tables {
			if st.def.ID == id {
				return true
			}
		}
	}
	return false
}
