package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"

	badger "github.com/dgraph-io/badger/v4"
)

// Mutation is one buffered write: a put of Value at Key, or a delete of Key.
type Mutation struct {
	Key    []byte
	Value  []byte
	Delete bool
}

// WriteSet is the complete, ordered list of a transaction's writes. It is
// what a future replication layer ships between replicas, so it holds only
// encoded keys and values, never SQL.
type WriteSet struct {
	Mutations []Mutation
	// Alone asks for the write set to be written as its own Badger
	// transaction, which Badger's log replay applies whole or not at all
	// after a crash. Group commit writes several write sets as one managed
	// write batch with a version per write set, which carries no
	// transaction markers: a crash in the middle of that write can keep
	// part of a write set (see DESIGN.md). Alone costs a write of its own.
	Alone bool
}

// Size returns the approximate number of bytes the write set adds to the
// store.
func (ws *WriteSet) Size() int {
	n := 0
	for _, m := range ws.Mutations {
		n += len(m.Key) + len(m.Value) + 16
	}
	return n
}

// apply hands every mutation, in order, to set or del.
func (ws *WriteSet) apply(set func(k, v []byte) error, del func(k []byte) error) error {
	for _, m := range ws.Mutations {
		var err error
		if m.Delete {
			err = del(m.Key)
		} else {
			err = set(m.Key, m.Value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Committer durably applies a write set at a commit timestamp. It is the one
// narrow seam under which replication will later sit: every committed write,
// DDL and catalog changes included, passes through Commit exactly once, in
// no particular order between concurrent callers, each with a distinct
// commitTs assigned by the Store. Implementations must be safe for
// concurrent use and must return only once the write set is durable.
type Committer interface {
	Commit(ctx context.Context, ws *WriteSet, commitTs uint64) error
}

// groupBatchBytes bounds the write sets combined into one Badger write, far
// below Badger's transaction size limit, so that a group never splits.
const groupBatchBytes = 4 << 20

// badgerCommitter is the single-node Committer: it writes write sets into
// Badger at their commit timestamps, durably (SyncWrites).
//
// Group commit: Badger v4 fsyncs once per write request, so concurrent
// commits are combined here. The first committer to arrive becomes the
// leader and writes every write set queued behind it as one Badger
// transaction (entries carry their own versions in managed mode), paying
// one fsync for all of them; followers wait for the leader's result. A
// Badger transaction is atomic in its write-ahead log, so each combined
// write set stays atomic.
type badgerCommitter struct {
	db *badger.DB

	mu      sync.Mutex
	queue   []*pendingCommit
	leading bool
}

type pendingCommit struct {
	ws   *WriteSet
	ts   uint64
	done chan error
}

func (c *badgerCommitter) Commit(_ context.Context, ws *WriteSet, commitTs uint64) error {
	if len(ws.Mutations) == 0 {
		return nil
	}
	if ws.Alone || ws.Size() > groupBatchBytes {
		return c.commitAlone(ws, commitTs)
	}
	p := &pendingCommit{ws: ws, ts: commitTs, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, p)
	if c.leading {
		c.mu.Unlock()
		return <-p.done
	}
	c.leading = true
	for len(c.queue) > 0 {
		batch, rest := takeGroup(c.queue)
		c.queue = rest
		c.mu.Unlock()
		err := c.writeGroup(batch)
		for _, q := range batch {
			q.done <- err
		}
		c.mu.Lock()
	}
	c.leading = false
	c.mu.Unlock()
	return <-p.done
}

// takeGroup splits off the longest prefix of queue that fits one write.
func takeGroup(queue []*pendingCommit) (group, rest []*pendingCommit) {
	size := 0
	for i, p := range queue {
		size += p.ws.Size()
		if i > 0 && size > groupBatchBytes {
			return queue[:i], queue[i:]
		}
	}
	return queue, nil
}

// writeGroup writes write sets as one Badger transaction: one request,
// one fsync.
func (c *badgerCommitter) writeGroup(group []*pendingCommit) error {
	wb := c.db.NewManagedWriteBatch()
	defer wb.Cancel()
	for _, p := range group {
		set := func(k, v []byte) error { return wb.SetEntryAt(badger.NewEntry(k, v), p.ts) }
		del := func(k []byte) error { return wb.DeleteAt(k, p.ts) }
		if err := p.ws.apply(set, del); err != nil {
			return fmt.Errorf("group commit: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("group commit: %w", err)
	}
	return nil
}

// commitAlone writes a write set too big to share a write as one Badger
// transaction (atomic on disk), or, past Badger's transaction size limit,
// through commitLarge.
func (c *badgerCommitter) commitAlone(ws *WriteSet, commitTs uint64) error {
	txn := c.db.NewTransactionAt(commitTs, true)
	defer txn.Discard()
	err := ws.apply(txn.Set, txn.Delete)
	if errors.Is(err, badger.ErrTxnTooBig) {
		txn.Discard()
		return c.commitLarge(ws, commitTs)
	}
	if err == nil {
		err = txn.CommitAt(commitTs, nil)
	}
	if err != nil {
		return fmt.Errorf("commit at %d: %w", commitTs, err)
	}
	return nil
}

// commitLarge writes a write set too big to share a write through a write
// batch at its timestamp. Readers never see it half applied (the Store
// publishes commitTs only after Commit returns), but Badger may split it
// into several transactions, so a crash in the middle can leave part of it
// on disk; see DESIGN.md.
func (c *badgerCommitter) commitLarge(ws *WriteSet, commitTs uint64) error {
	wb := c.db.NewWriteBatchAt(commitTs)
	defer wb.Cancel()
	if err := ws.apply(wb.Set, wb.Delete); err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("flush write batch at %d: %w", commitTs, err)
	}
	return nil
}
