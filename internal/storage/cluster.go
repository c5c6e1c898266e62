package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/guocedb/guocedb/internal/raftlog"
)

// initializedKey is written by the first leader once the whole server
// (storage, catalog, accounts) is initialized: followers start serving
// only once they see it, so that nothing on a follower's start-up path
// needs to write.
var initializedKey = []byte("\x00meta/cluster-initialized")

// observeApplied runs on a cluster member after a batch of entries is in
// Badger: their timestamps become visible to this node's readers. On a
// follower every commit arrives this way; entries are in timestamp order
// (commitLogged), so publishing the highest one makes a consistent
// snapshot. A leader's own commits are published by done as before;
// raising lastTs also makes a new leader's clock start above every
// timestamp in its log, since it accepts writes only once its first
// entry of the term is applied. Watches fire for entries this node did
// not commit itself (a leader's DDL already changed its memory).
func (s *Store) observeApplied(ents []raftlog.Entry) {
	var maxTs uint64
	for _, e := range ents {
		if len(e.Data) >= 9 {
			maxTs = max(maxTs, binary.BigEndian.Uint64(e.Data[1:9]))
		}
	}
	if maxTs > 0 {
		s.oracle.observe(maxTs)
	}
	if s.log.Status().Writable {
		return
	}
	s.watchMu.Lock()
	ws := s.watches
	s.watchMu.Unlock()
	if len(ws) == 0 {
		return
	}
	// One decoding pass over the entries for every watch.
	woke := false
	for _, e := range ents {
		_, _ = decodeEntry(e.Data, func(_ uint64, m Mutation) error {
			for _, w := range ws {
				if !w.due.Load() && bytes.HasPrefix(m.Key, w.prefix) {
					w.due.Store(true)
					woke = true
				}
			}
			return nil
		})
	}
	if woke {
		select {
		case s.watchCh <- struct{}{}:
		default:
		}
	}
}

// waitClusterReady waits, on a cluster member at Open, until this node
// either leads (writable: it initializes the store as a single node
// does) or follows a leader and has applied the cluster's
// initialization. Polling is enough: it runs once per start.
func (s *Store) waitClusterReady(ctx context.Context) (writable bool, err error) {
	lastLog := time.Now()
	for {
		st := s.log.Status()
		if st.Writable {
			return true, nil
		}
		if st.Leader != 0 && s.Initialized() {
			return false, nil
		}
		if time.Since(lastLog) > 10*time.Second {
			lastLog = time.Now()
			s.logger.Info("waiting for a cluster leader and the cluster's initialization", "leader", st.Leader, "term", st.Term, "applied", st.Applied)
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("waiting for a cluster leader: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Initialized reports whether the cluster's first leader has finished
// initializing (MarkInitialized); always true on a single node.
func (s *Store) Initialized() bool {
	if s.log == nil || !s.log.Clustered() {
		return true
	}
	if s.partial.Load() {
		return false // a mix of two states until a snapshot loads whole
	}
	txn := s.Begin()
	defer txn.Discard()
	_, ok, err := txn.Get(initializedKey)
	return err == nil && ok
}

// forwardKeyKey holds the cluster's forwarding key: 32 random bytes the
// first leader writes through the log, so every member (and no one
// else) has it. Followers prove with it that a login on the leader
// speaks for one of their sessions (mysqlserver's forward_auth.go).
var forwardKeyKey = []byte("\x00meta/cluster-forward-key")

// MarkInitialized records, on a cluster's leader, that the server built
// on the store is initialized (accounts, catalog), so that followers
// start serving, together with the cluster's forwarding key. It is a
// no-op on a single node and once both are recorded; a cluster
// initialized before forwarding existed gets its key from the next
// leader that starts.
func (s *Store) MarkInitialized(ctx context.Context) error {
	if s.log == nil || !s.log.Clustered() {
		return nil
	}
	var ms []Mutation
	if !s.Initialized() {
		ms = append(ms, Mutation{Key: initializedKey, Value: []byte{1}})
	}
	if _, ok := s.ForwardKey(); !ok {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("forwarding key: %w", err)
		}
		ms = append(ms, Mutation{Key: forwardKeyKey, Value: key})
	}
	if len(ms) == 0 {
		return nil
	}
	return s.DirectCommit(ctx, &WriteSet{Mutations: ms})
}

// ForwardKey returns the cluster's forwarding key (see forwardKeyKey);
// ok is false on a single node and before a leader wrote it.
func (s *Store) ForwardKey() (key []byte, ok bool) {
	if s.log == nil || !s.log.Clustered() {
		return nil, false
	}
	txn := s.Begin()
	defer txn.Discard()
	v, ok, err := txn.Get(forwardKeyKey)
	if err != nil || !ok || len(v) == 0 {
		return nil, false
	}
	return bytes.Clone(v), true
}

// ClusterStatus returns the raft state of the commit log; ok is false on
// a read-only store.
func (s *Store) ClusterStatus() (raftlog.Status, bool) {
	if s.log == nil {
		return raftlog.Status{}, false
	}
	return s.log.Status(), true
}

// Clustered reports whether the store is a member of a raft cluster.
func (s *Store) Clustered() bool { return s.log != nil && s.log.Clustered() }

// ReadBarrier returns once this node has applied every commit
// acknowledged anywhere in the cluster before the call, so that a
// snapshot taken next reads them (raftlog.Log.ReadBarrier); at once on a
// single node. raftlog.ErrNoLeader when no leader confirms in time.
func (s *Store) ReadBarrier(ctx context.Context) error {
	if s.log == nil {
		return nil
	}
	return s.log.ReadBarrier(ctx)
}

// SinceLeaderContact is how long ago this cluster member last heard from
// its leader; 0 on the leader and on a single node.
func (s *Store) SinceLeaderContact() time.Duration {
	if s.log == nil {
		return 0
	}
	return s.log.SinceLeaderContact()
}

// Writable reports whether commits are accepted here now: on a single
// node always, on a cluster member while it leads (and its first entry
// of the term is applied).
func (s *Store) Writable() bool {
	if s.readOnly {
		return false
	}
	return s.log == nil || s.log.Status().Writable
}

// TransferLeadership hands a cluster leader's role to the most caught-up
// member and waits (bounded by ctx) until another member leads: for a
// graceful stop. Nothing to do on a follower or a single node.
func (s *Store) TransferLeadership(ctx context.Context) error {
	if s.log == nil {
		return nil
	}
	return s.log.TransferLeadership(ctx)
}
