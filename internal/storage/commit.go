package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/guocedb/guocedb/internal/raftlog"
)

// Mutation is one buffered write: a put of Value at Key, or a delete of Key.
type Mutation struct {
	Key    []byte
	Value  []byte
	Delete bool
}

// WriteSet is the complete, ordered list of a transaction's writes. It is
// what the commit log carries (and later ships between replicas), so it
// holds only encoded keys and values, never SQL. Every write set is one
// log entry: after a crash it is in the store whole or not at all.
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
// narrow seam under which replication sits: every committed write, DDL and
// catalog changes included, passes through Commit exactly once, in no
// particular order between concurrent callers, each with a distinct
// commitTs assigned by the Store. Implementations must be safe for
// concurrent use and must return only once the write set is durable and
// applied, so that a snapshot taken at commitTs sees it.
type Committer interface {
	Commit(ctx context.Context, ws *WriteSet, commitTs uint64) error
}

// logCommitter commits through the commit log: the write set becomes one
// log entry {commitTs, write set}, which the log makes durable (sharing
// its fsync with every concurrent commit), commits in its raft group and
// hands to Store.applyEntries; Commit returns after that apply.
type logCommitter struct{ log *raftlog.Log }

func (c *logCommitter) Commit(_ context.Context, ws *WriteSet, commitTs uint64) error {
	if len(ws.Mutations) == 0 {
		return nil
	}
	// The context is not consulted once the entry is proposed: the commit
	// may already be durable, so giving up would answer an error for a
	// commit that survives. The wait is bounded by one log write.
	if err := c.log.Propose(encodeEntry(commitTs, ws)); err != nil {
		return fmt.Errorf("commit at %d: %w", commitTs, err)
	}
	return nil
}

// ErrFollower is returned by a commit on a cluster member that does not
// lead: nothing was written. The SQL layer answers MySQL error 1290. Its
// text names no follower-writes mode, which is the SQL layer's: under
// forward a steady follower's writes never reach a commit, so one meets
// this only in a moment without a leader here (none elected yet, or
// leadership moved while the statement ran), which the text describes;
// under reject the SQL layer answers with that setting's text instead.
var ErrFollower = errors.New("this node does not lead its cluster at the moment (no leader, or the leadership moved while the statement ran) and wrote nothing; retry the statement")

// ErrUnknownOutcome is returned by a commit whose entry was in flight
// when leadership changed: it may or may not be committed. The SQL layer
// closes the connection rather than answer OK or a definite error.
var ErrUnknownOutcome = raftlog.ErrUnknownOutcome

// commitLogged is the commit protocol over the commit log. The timestamp
// is assigned and the entry enqueued under seqMu, so that the log holds
// entries in timestamp order. A follower relies on it: it publishes each
// applied entry's timestamp to its readers (observeApplied), which is a
// consistent snapshot only if no lower timestamp can follow in the log.
// Encoding runs outside the lock; the timestamp is patched in.
func (s *Store) commitLogged(readTs uint64, ws *WriteSet, keys map[uint64]uint64) error {
	if len(ws.Mutations) == 0 {
		return nil
	}
	data := encodeEntry(0, ws)
	s.seqMu.Lock()
	ts, err := s.oracle.prepare(readTs, keys)
	if err != nil {
		s.seqMu.Unlock()
		return err
	}
	binary.BigEndian.PutUint64(data[raftlog.HeaderLen+1:], ts)
	wait, err := s.log.Enqueue(data)
	s.seqMu.Unlock()
	if err == nil {
		// The wait is not bounded by a context: once enqueued the entry
		// may be durable, and giving up would answer an error for a
		// commit that survives. It is bounded by one log write, or by a
		// leadership change (ErrUnknownOutcome).
		err = wait()
	}
	s.oracle.done(ts)
	if errors.Is(err, raftlog.ErrNotLeader) {
		return fmt.Errorf("%w (commit at %d)", ErrFollower, ts)
	}
	if err != nil {
		return fmt.Errorf("commit at %d: %w", ts, err)
	}
	s.oracle.waitVisible(ts)
	return nil
}

// readOnlyCommitter refuses every commit (OpenReadOnly).
type readOnlyCommitter struct{}

var errReadOnly = errors.New("store is open read-only")

func (readOnlyCommitter) Commit(context.Context, *WriteSet, uint64) error { return errReadOnly }

// A log entry's data, after the log's own header (raftlog.HeaderLen):
//
//	[1 byte entry version][8 bytes commitTs][uvarint count]
//	count x ([1 byte kind: 0 put, 1 delete][uvarint key length][key]
//	         [uvarint value length][value]   (puts only))
//
// The version lets a later format add entry kinds; an unknown one stops
// the replay instead of being skipped.
const entryVersion = 1

func encodeEntry(commitTs uint64, ws *WriteSet) []byte {
	n := raftlog.HeaderLen + 1 + 8 + binary.MaxVarintLen64
	for _, m := range ws.Mutations {
		n += 1 + 2*binary.MaxVarintLen32 + len(m.Key) + len(m.Value)
	}
	b := make([]byte, raftlog.HeaderLen, n)
	b = append(b, entryVersion)
	b = binary.BigEndian.AppendUint64(b, commitTs)
	b = binary.AppendUvarint(b, uint64(len(ws.Mutations)))
	for _, m := range ws.Mutations {
		if m.Delete {
			b = append(b, 1)
			b = binary.AppendUvarint(b, uint64(len(m.Key)))
			b = append(b, m.Key...)
			continue
		}
		b = append(b, 0)
		b = binary.AppendUvarint(b, uint64(len(m.Key)))
		b = append(b, m.Key...)
		b = binary.AppendUvarint(b, uint64(len(m.Value)))
		b = append(b, m.Value...)
	}
	return b
}

var errBadEntry = errors.New("malformed commit log entry")

// decodeEntry calls fn for every mutation of an entry's data (without the
// log's header), the slices aliasing data.
func decodeEntry(data []byte, fn func(commitTs uint64, m Mutation) error) (uint64, error) {
	if len(data) < 9 {
		return 0, errBadEntry
	}
	if data[0] != entryVersion {
		return 0, fmt.Errorf("commit log entry version %d: this build reads version %d", data[0], entryVersion)
	}
	ts := binary.BigEndian.Uint64(data[1:])
	p := data[9:]
	count, n := binary.Uvarint(p)
	if n <= 0 {
		return 0, errBadEntry
	}
	p = p[n:]
	field := func() ([]byte, bool) {
		l, n := binary.Uvarint(p)
		if n <= 0 || uint64(len(p)-n) < l {
			return nil, false
		}
		f := p[n : n+int(l)]
		p = p[n+int(l):]
		return f, true
	}
	for range count {
		if len(p) == 0 {
			return 0, errBadEntry
		}
		kind := p[0]
		p = p[1:]
		k, ok := field()
		if !ok || kind > 1 {
			return 0, errBadEntry
		}
		m := Mutation{Key: k, Delete: kind == 1}
		if !m.Delete {
			if m.Value, ok = field(); !ok {
				return 0, errBadEntry
			}
		}
		if err := fn(ts, m); err != nil {
			return 0, err
		}
	}
	if len(p) != 0 {
		return 0, errBadEntry
	}
	return ts, nil
}

// applyEntries writes committed log entries into Badger, each write set at
// its commit timestamp. The log calls it in log order, only with entries
// that are durable in the log, and again after a restart for every entry
// above the checkpoint: writing the same keys at the same versions twice
// leaves the same state, so replay is harmless.
//
// The entries of one call go into one managed write batch with a version
// per entry. Badger may keep part of such a batch after a crash (it adds
// no transaction markers across versions); that no longer matters, since
// every entry of the batch is durable in the log above the checkpoint and
// is applied again, whole, before the store opens.
func (s *Store) applyEntries(ents []raftlog.Entry) error {
	wb := s.db.NewManagedWriteBatch()
	defer wb.Cancel()
	for _, e := range ents {
		_, err := decodeEntry(e.Data, func(ts uint64, m Mutation) error {
			if m.Delete {
				return wb.DeleteAt(m.Key, ts)
			}
			return wb.SetEntryAt(badger.NewEntry(m.Key, m.Value), ts)
		})
		if err != nil {
			return fmt.Errorf("entry %d: %w", e.Index, err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if s.log != nil && s.log.Clustered() {
		s.observeApplied(ents)
	}
	return nil
}
