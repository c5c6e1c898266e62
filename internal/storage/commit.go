package storage

import (
	"context"
	"errors"
	"fmt"

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

// Committer durably applies a write set at a commit timestamp. It is the one
// narrow seam under which replication will later sit: every committed write,
// DDL and catalog changes included, passes through Commit exactly once, in
// no particular order between concurrent callers, each with a distinct
// commitTs assigned by the Store. Implementations must be safe for
// concurrent use and must return only once the write set is durable.
type Committer interface {
	Commit(ctx context.Context, ws *WriteSet, commitTs uint64) error
}

// badgerCommitter is the single-node Committer: it writes the batch into
// Badger at commitTs. With SyncWrites on, Badger batches the requests of
// concurrent callers into one write and one fsync (group commit).
type badgerCommitter struct {
	db *badger.DB
}

func (c *badgerCommitter) Commit(_ context.Context, ws *WriteSet, commitTs uint64) error {
	if len(ws.Mutations) == 0 {
		return nil
	}
	txn := c.db.NewTransactionAt(commitTs, true)
	defer txn.Discard()
	for i, m := range ws.Mutations {
		var err error
		if m.Delete {
			err = txn.Delete(m.Key)
		} else {
			err = txn.Set(m.Key, m.Value)
		}
		if errors.Is(err, badger.ErrTxnTooBig) {
			txn.Discard()
			return c.commitLarge(ws, commitTs, i)
		}
		if err != nil {
			return fmt.Errorf("buffer write: %w", err)
		}
	}
	if err := txn.CommitAt(commitTs, nil); err != nil {
		return fmt.Errorf("commit at %d: %w", commitTs, err)
	}
	return nil
}

// commitLarge writes a write set too big for one Badger transaction through
// a write batch at the same timestamp. Readers never see it half applied
// (the Store publishes commitTs only after Commit returns), but a crash in
// the middle can leave part of it on disk; see DESIGN.md.
func (c *badgerCommitter) commitLarge(ws *WriteSet, commitTs uint64, _ int) error {
	wb := c.db.NewWriteBatchAt(commitTs)
	defer wb.Cancel()
	for _, m := range ws.Mutations {
		var err error
		if m.Delete {
			err = wb.Delete(m.Key)
		} else {
			err = wb.Set(m.Key, m.Value)
		}
		if err != nil {
			return fmt.Errorf("write batch: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("flush write batch at %d: %w", commitTs, err)
	}
	return nil
}
