package lockmgr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is a lock's strength.
type Mode uint8

// Lock modes. Shared is compatible with Shared only.
const (
	Shared Mode = iota + 1
	Exclusive
)

func (m Mode) String() string {
	if m == Exclusive {
		return "X"
	}
	return "S"
}

// Errors returned by Lock. Callers map them to MySQL errors: 1205, 1213,
// 3572 (or a skipped row) and 1206.
var (
	ErrLockWaitTimeout = errors.New("lock wait timeout exceeded")
	ErrDeadlock        = errors.New("deadlock found when trying to get lock")
	ErrWouldBlock      = errors.New("lock is held by another transaction")
	ErrTooManyLocks    = errors.New("the total number of locks exceeds the lock table size")
)

// TxnID names a lock owner. Callers choose unique ids (the storage
// transaction's).
type TxnID uint64

// Wait is what a conflicting request does.
type Wait struct {
	// Timeout bounds the wait (innodb_lock_wait_timeout); 0 or less fails
	// at once with ErrLockWaitTimeout after a deadlock check.
	Timeout time.Duration
	// NoWait (NOWAIT, SKIP LOCKED) fails at once with ErrWouldBlock.
	NoWait bool
	// Info describes the requesting transaction (its connection) for
	// observability; it is kept from the transaction's first request.
	Info any
}

// Options configures a Manager.
type Options struct {
	// MaxLocks bounds held locks plus waiters; 0 means DefaultMaxLocks.
	MaxLocks int
}

// DefaultMaxLocks is the default bound: a few hundred bytes per entry, so
// about a few hundred MB at most.
const DefaultMaxLocks = 1 << 20

// Manager is a lock table. It is safe for concurrent use.
type Manager struct {
	mu       sync.Mutex
	locks    map[string]*lockState
	owners   map[TxnID]*owner
	entries  int
	maxLocks int

	stats        counters
	lastDeadlock atomic.Pointer[DeadlockReport]
}

type lockState struct {
	key     string
	holders map[TxnID]Mode
	waiters []*waiter
}

type waiter struct {
	txn   TxnID
	mode  Mode
	lock  *lockState
	since time.Time
	// ready is closed when the waiter is granted or chosen; err then says
	// which (nil: granted).
	ready chan struct{}
	err   error
	done  bool
}

type owner struct {
	id      TxnID
	held    map[string]Mode
	waiting *waiter
	started time.Time
	info    any
}

// New returns an empty lock table.
func New(opts Options) *Manager {
	if opts.MaxLocks <= 0 {
		opts.MaxLocks = DefaultMaxLocks
	}
	return &Manager{locks: map[string]*lockState{}, owners: map[TxnID]*owner{}, maxLocks: opts.MaxLocks}
}

func (m *Manager) ownerLocked(id TxnID, info any) *owner {
	o := m.owners[id]
	if o == nil {
		o = &owner{id: id, held: map[string]Mode{}, started: time.Now(), info: info}
		m.owners[id] = o
	}
	return o
}

// SetInfo attaches caller data to a transaction (a connection id, for
// observability); it is returned in snapshots.
func (m *Manager) SetInfo(id TxnID, info any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o := m.owners[id]; o != nil {
		o.info = info
	}
}

// Holds reports the mode txn holds on key, or 0.
func (m *Manager) Holds(txn TxnID, key []byte) Mode {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o := m.owners[txn]; o != nil {
		return o.held[string(key)]
	}
	return 0
}

// Lock acquires key in mode for txn, waiting as w says. Asking again for
// a lock already held in the same or a stronger mode returns at once.
func (m *Manager) Lock(ctx context.Context, txn TxnID, key []byte, mode Mode, w Wait) error {
	m.mu.Lock()
	o := m.owners[txn]
	if o != nil {
		if have := o.held[string(key)]; have >= mode {
			m.mu.Unlock()
			return nil
		}
	}
	l := m.locks[string(key)]
	upgrade := o != nil && o.held[string(key)] != 0
	if l == nil || m.grantableLocked(l, txn, mode, upgrade) {
		if !upgrade && m.entries >= m.maxLocks {
			m.mu.Unlock()
			return ErrTooManyLocks
		}
		if l == nil {
			l = &lockState{key: string(key), holders: map[TxnID]Mode{}}
			m.locks[l.key] = l
		}
		m.grantLocked(l, m.ownerLocked(txn, w.Info), mode)
		m.mu.Unlock()
		return nil
	}
	if w.NoWait {
		m.mu.Unlock()
		return ErrWouldBlock
	}
	if m.entries >= m.maxLocks {
		m.mu.Unlock()
		return ErrTooManyLocks
	}
	o = m.ownerLocked(txn, w.Info)
	wt := &waiter{txn: txn, mode: mode, lock: l, since: time.Now(), ready: make(chan struct{})}
	if upgrade {
		l.waiters = append([]*waiter{wt}, l.waiters...)
	} else {
		l.waiters = append(l.waiters, wt)
	}
	if cycle := m.cycleLocked(wt); cycle != nil {
		m.removeWaiterLocked(wt)
		if len(o.held) == 0 {
			delete(m.owners, txn)
		}
		m.recordDeadlockLocked(wt, cycle)
		m.mu.Unlock()
		m.stats.deadlocks.Add(1)
		return ErrDeadlock
	}
	o.waiting = wt
	m.entries++
	m.mu.Unlock()

	m.stats.waits.Add(1)
	m.stats.current.Add(1)
	defer m.stats.current.Add(-1)
	var timeout <-chan time.Time
	if w.Timeout > 0 {
		t := time.NewTimer(w.Timeout)
		defer t.Stop()
		timeout = t.C
	} else {
		tc := make(chan time.Time)
		close(tc)
		timeout = tc
	}
	var err error
	select {
	case <-wt.ready:
	case <-timeout:
		err = ErrLockWaitTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}
	m.mu.Lock()
	if wt.done {
		err = wt.err // granted meanwhile: the lock is ours
	} else {
		wt.done = true
		m.removeWaiterLocked(wt)
		m.entries--
		o.waiting = nil
		m.grantWaitersLocked(l)
		if len(o.held) == 0 {
			delete(m.owners, txn)
		}
		if len(l.holders) == 0 && len(l.waiters) == 0 {
			delete(m.locks, l.key)
		}
	}
	m.mu.Unlock()
	m.stats.observeWait(time.Since(wt.since))
	if errors.Is(err, ErrLockWaitTimeout) {
		m.stats.timeouts.Add(1)
	}
	return err
}

// compatible reports whether txn may hold mode on l next to its other
// holders.
func compatible(l *lockState, txn TxnID, mode Mode) bool {
	for h, hm := range l.holders {
		if h != txn && (mode == Exclusive || hm == Exclusive) {
			return false
		}
	}
	return true
}

// grantableLocked: compatible with the holders, and no one queued ahead
// (an upgrade goes first).
func (m *Manager) grantableLocked(l *lockState, txn TxnID, mode Mode, upgrade bool) bool {
	if !upgrade && len(l.waiters) > 0 {
		return false
	}
	return compatible(l, txn, mode)
}

func (m *Manager) grantLocked(l *lockState, o *owner, mode Mode) {
	if o.held[l.key] == 0 {
		m.entries++
	}
	if mode > l.holders[o.id] {
		l.holders[o.id] = mode
		o.held[l.key] = mode
	}
}

// grantWaitersLocked grants the waiters at the front of l's queue that are
// compatible with the holders, in order.
func (m *Manager) grantWaitersLocked(l *lockState) {
	for len(l.waiters) > 0 {
		wt := l.waiters[0]
		if !compatible(l, wt.txn, wt.mode) {
			return
		}
		l.waiters = l.waiters[1:]
		o := m.owners[wt.txn]
		o.waiting = nil
		m.entries-- // the waiter's entry becomes the holder's (if new)
		m.grantLocked(l, o, wt.mode)
		wt.done = true
		close(wt.ready)
	}
}

func (m *Manager) removeWaiterLocked(wt *waiter) {
	l := wt.lock
	for i, x := range l.waiters {
		if x == wt {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			return
		}
	}
}

// blockersLocked lists the transactions wt waits for: incompatible
// holders and incompatible waiters ahead of it.
func blockersLocked(wt *waiter) []TxnID {
	l := wt.lock
	var out []TxnID
	for h, hm := range l.holders {
		if h != wt.txn && (wt.mode == Exclusive || hm == Exclusive) {
			out = append(out, h)
		}
	}
	for _, x := range l.waiters {
		if x == wt {
			break
		}
		if x.txn != wt.txn && (wt.mode == Exclusive || x.mode == Exclusive) {
			out = append(out, x.txn)
		}
	}
	return out
}

// cycleLocked searches the wait-for graph from wt's blockers and returns
// the waiters on a path back to wt's transaction (wt first), or nil.
func (m *Manager) cycleLocked(wt *waiter) []*waiter {
	seen := map[TxnID]bool{}
	var path []*waiter
	var visit func(w *waiter) bool
	visit = func(w *waiter) bool {
		path = append(path, w)
		for _, b := range blockersLocked(w) {
			if b == wt.txn {
				return true
			}
			if seen[b] {
				continue
			}
			seen[b] = true
			if o := m.owners[b]; o != nil && o.waiting != nil && visit(o.waiting) {
				return true
			}
		}
		path = path[:len(path)-1]
		return false
	}
	if visit(wt) {
		return path
	}
	return nil
}

// DeadlockReport describes the latest deadlock (SHOW ENGINE INNODB
// STATUS).
type DeadlockReport struct {
	At time.Time
	// Waits lists the cycle, the victim's request first.
	Waits []WaitInfo
	// Victim is the transaction rolled back.
	Victim TxnID
}

// WaitInfo is one edge of a deadlock: txn waits for key in mode.
type WaitInfo struct {
	Txn  TxnID
	Info any
	Key  []byte
	Mode Mode
	// Holds are the keys the transaction held at the time (first few).
	Holds [][]byte
}

func (m *Manager) recordDeadlockLocked(victim *waiter, cycle []*waiter) {
	r := &DeadlockReport{At: time.Now(), Victim: victim.txn}
	for _, w := range cycle {
		wi := WaitInfo{Txn: w.txn, Key: []byte(w.lock.key), Mode: w.mode}
		if o := m.owners[w.txn]; o != nil {
			wi.Info = o.info
			for k := range o.held {
				if len(wi.Holds) == 8 {
					break
				}
				wi.Holds = append(wi.Holds, []byte(k))
			}
		}
		r.Waits = append(r.Waits, wi)
	}
	m.lastDeadlock.Store(r)
}

// LatestDeadlock returns the last deadlock detected, or nil.
func (m *Manager) LatestDeadlock() *DeadlockReport { return m.lastDeadlock.Load() }

// String renders a report in the spirit of InnoDB's LATEST DETECTED
// DEADLOCK section; keys are rendered by render.
func (r *DeadlockReport) String(render func([]byte) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", r.At.UTC().Format("2006-01-02 15:04:05"))
	for i, w := range r.Waits {
		fmt.Fprintf(&b, "*** (%d) TRANSACTION %d", i+1, w.Txn)
		if w.Info != nil {
			fmt.Fprintf(&b, ", %v", w.Info)
		}
		fmt.Fprintf(&b, "\n*** (%d) HOLDS THE LOCK(S):\n", i+1)
		for _, k := range w.Holds {
			fmt.Fprintf(&b, "RECORD LOCK %s\n", render(k))
		}
		fmt.Fprintf(&b, "*** (%d) WAITING FOR THIS LOCK TO BE GRANTED:\nRECORD LOCK %s lock_mode %s\n", i+1, render(w.Key), w.Mode)
	}
	fmt.Fprintf(&b, "*** WE ROLL BACK TRANSACTION %d\n", r.Victim)
	return b.String()
}

// ReleaseAll releases every lock txn holds and cancels nothing else: a
// transaction has no waiter of its own when it ends, since it is used by
// one statement at a time.
func (m *Manager) ReleaseAll(txn TxnID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.owners[txn]
	if o == nil {
		return
	}
	for k := range o.held {
		l := m.locks[k]
		delete(l.holders, txn)
		m.entries--
		m.grantWaitersLocked(l)
		if len(l.holders) == 0 && len(l.waiters) == 0 {
			delete(m.locks, k)
		}
	}
	if o.waiting == nil {
		delete(m.owners, txn)
	} else {
		o.held = map[string]Mode{}
	}
}

// Entries returns the number of held locks plus waiters.
func (m *Manager) Entries() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.entries
}
