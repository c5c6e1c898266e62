package adminapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Repeated bad logins to the admin API are answered with 429 Too Many
// Requests and Retry-After instead of being checked, so that passwords
// cannot be guessed at HTTP speed (each check of a caching_sha2 password
// also costs thousands of hash rounds).
const (
	// throttleAfter consecutive failures of one user from one host start
	// the throttle.
	throttleAfter = 5
	// throttleBase is the wait after throttleAfter failures; it doubles
	// with every further failure up to throttleMax.
	throttleBase = time.Second
	throttleMax  = 5 * time.Minute
	// throttleEntries bounds the memory an attacker cycling user names
	// can take; forgetting entries only shortens waits.
	throttleEntries = 100_000
)

type throttleKey struct{ user, host string }

type throttleEntry struct {
	failures int
	until    time.Time
}

// throttle counts consecutive authentication failures per user and host.
// Safe for concurrent use.
type throttle struct {
	now     func() time.Time
	mu      sync.Mutex
	entries map[throttleKey]*throttleEntry
}

func newThrottle() *throttle {
	return &throttle{now: time.Now, entries: make(map[throttleKey]*throttleEntry)}
}

// wait returns how long user from host must wait before its credentials
// are checked again; 0 when they may be checked now.
func (t *throttle) wait(user, host string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[throttleKey{user, host}]
	if e == nil {
		return 0
	}
	if d := e.until.Sub(t.now()); d > 0 {
		return d
	}
	return 0
}

// failed records a failure.
func (t *throttle) failed(user, host string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := throttleKey{user, host}
	e := t.entries[k]
	if e == nil {
		if len(t.entries) >= throttleEntries {
			clear(t.entries)
		}
		e = &throttleEntry{}
		t.entries[k] = e
	}
	e.failures++
	if e.failures >= throttleAfter {
		d := throttleBase << min(e.failures-throttleAfter, 20)
		e.until = t.now().Add(min(d, throttleMax))
	}
}

// succeeded forgets user's failures from host.
func (t *throttle) succeeded(user, host string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.entries, throttleKey{user, host})
}

// tooManyRequests answers 429 with Retry-After in whole seconds (at least
// one), in plain text: connect has no code for 429, and clients of every
// protocol see the HTTP status.
func tooManyRequests(w http.ResponseWriter, wait time.Duration) {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	http.Error(w, "too many failed logins: retry later", http.StatusTooManyRequests)
}
