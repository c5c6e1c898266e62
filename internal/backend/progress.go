package backend

import (
	"bytes"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/storage"
)

// ProgressPartition is the name under which a table rebuild (ALTER TABLE
// rewrite, CREATE INDEX fill) reports its rows in go-mysql-server's
// process list: the table is one "partition" (guocedb tables have one),
// and the partition's progress counts rows done of the table's rows, so
// SHOW PROCESSLIST's State reads
//
//	db.t (0/1 partitions)
//	 └─ rows (120000/200000 rows)
const ProgressPartition = "rows"

// progressRows is how many rows a rebuild handles between progress
// reports besides its batch commits (a batch of small rows holds far more
// rows): one mutex round per progressRows rows costs nothing measurable.
const progressRows = 4096

// rebuildProgress reports a table rebuild's rows into the statement's
// process list entry. It is updated once per committed batch, never per
// row: the process list takes a mutex. A zero value (no process list,
// internal statements) does nothing.
type rebuildProgress struct {
	pl       sql.ProcessList
	pid      uint64
	name     string
	reported int64
}

// startProgress registers the rebuild of t in ctx's process entry, with
// the table's row count as the total (-1, shown as ?, when unknown).
func (t *Table) startProgress(ctx *sql.Context) *rebuildProgress {
	if ctx == nil || ctx.ProcessList == nil {
		return &rebuildProgress{}
	}
	p := &rebuildProgress{pl: ctx.ProcessList, pid: ctx.Pid(), name: t.st.db + "." + t.st.def.Name}
	p.pl.AddTableProgress(p.pid, p.name, 1)
	p.pl.AddPartitionProgress(p.pid, p.name, ProgressPartition, t.progressTotal())
	return p
}

// update reports done rows in total (called after each batch commit).
func (p *rebuildProgress) update(done int64) {
	if p.pl == nil || done == p.reported {
		return
	}
	p.pl.UpdatePartitionProgress(p.pid, p.name, ProgressPartition, done-p.reported)
	p.reported = done
}

// finish removes the entry: the statement's State goes back to running.
func (p *rebuildProgress) finish() {
	if p.pl == nil {
		return
	}
	p.pl.RemoveTableProgress(p.pid, p.name)
	p.pl = nil
}

// progressTotal is the table's row count for progress: exact from the
// count keys of the last committed state when the table keeps them
// (rowcount.go; one short scan of the deltas), else the running estimate,
// else -1.
func (t *Table) progressTotal() int64 {
	if t.counted() {
		if n, ok := committedCount(t.store(), t.st.def.ID); ok {
			return n
		}
	}
	if c := t.st.counters; c.rowsKnown.Load() {
		return max(c.rows.Load(), 0)
	}
	return -1
}

// committedCount sums table id's count base and deltas as last committed;
// ok is false without a base (the count was never folded) or on error.
func committedCount(store *storage.Store, id uint64) (int64, bool) {
	txn := store.Begin()
	defer txn.Discard()
	p := countPrefix(id)
	it, err := txn.NewIterator(storage.IterOptions{Start: p, End: prefixEnd(p)})
	if err != nil {
		return 0, false
	}
	defer it.Close()
	if !it.Valid() || !bytes.Equal(it.Key(), countBaseKey(id)) {
		return 0, false
	}
	var sum int64
	for ; it.Valid(); it.Next() {
		d, err := decodeCount(it.Value())
		if err != nil {
			return 0, false
		}
		sum += d
	}
	if it.Err() != nil || sum < 0 {
		return 0, false
	}
	return sum, true
}
