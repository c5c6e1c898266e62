package storage

import "sync/atomic"

// watch is a callback for applied entries under a key prefix.
type watch struct {
	prefix []byte
	fn     func()
	due    atomic.Bool
}

// Watch calls fn (from one goroutine of the store, never concurrently
// with itself) after entries written on another node, and applied here,
// touched a key under prefix: a follower's in-memory images of stored
// state (the catalog) reload then. Calls are coalesced: fn runs once for
// any number of such entries applied while it was not running. Watch has
// no effect on a single node, where every write is this node's own.
func (s *Store) Watch(prefix []byte, fn func()) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	s.watches = append(s.watches, &watch{prefix: append([]byte(nil), prefix...), fn: fn})
}

// watchLoop runs the watches that observeApplied marked due.
func (s *Store) watchLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.stop:
			return
		case <-s.watchCh:
		}
		s.watchMu.Lock()
		ws := s.watches
		s.watchMu.Unlock()
		for _, w := range ws {
			if w.due.Swap(false) {
				w.fn()
			}
		}
	}
}
