package slowlog

import (
	"github.com/guocedb/guocedb/internal/redact"

	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DefaultRingSize is how many recent entries Recent can return when
// Options.RingSize is zero.
const DefaultRingSize = 256

// Entry is one slow statement, as written to the log (one JSON object per
// line) and returned by Recent.
type Entry struct {
	// Time is when the statement started.
	Time time.Time `json:"time"`
	// Query is the statement text with passwords masked (redact.Query).
	Query string `json:"query"`
	// DurationSeconds is how long the statement ran.
	DurationSeconds float64 `json:"duration_seconds"`
	// RowsExamined counts the table rows the statement read.
	RowsExamined uint64 `json:"rows_examined"`
	// RowsSent counts the result rows sent to the client.
	RowsSent uint64 `json:"rows_sent"`
	// User and Host are the account the connection logged in as.
	User string `json:"user"`
	Host string `json:"host"`
	// Database is the current database when the statement ran ("" for
	// none).
	Database string `json:"db"`
	// ConnID is the connection id (as in SHOW PROCESSLIST).
	ConnID uint32 `json:"conn_id"`
	// ErrorCode is the MySQL error code the statement failed with, 0 on
	// success.
	ErrorCode uint16 `json:"error_code,omitempty"`
}

// Options configures a Log.
type Options struct {
	// Threshold is the duration from which a statement is slow; 0 logs
	// every statement; a negative value disables the log.
	Threshold time.Duration
	// Path is the file the JSON lines are appended to (created with mode
	// 0600, its directory too). Empty keeps entries in memory only.
	Path string
	// RingSize bounds the entries kept for Recent (DefaultRingSize when 0).
	RingSize int
	// Sealer, when set (encryption at rest), encrypts the query and db
	// of every line written to the file (encryption.Sealer.SealString):
	// statement text holds user data (literals, names). The in-memory
	// ring that Recent reads keeps them in the clear.
	Sealer FieldSealer
}

// FieldSealer encrypts one string field of a log line; safe for
// concurrent use (encryption.Sealer).
type FieldSealer interface {
	SealString(field, value string) string
}

// Log is an open slow query log. It is safe for concurrent use. A nil
// *Log is a disabled log: Slow reports false and Recent returns nothing.
type Log struct {
	threshold time.Duration
	path      string
	sealer    FieldSealer

	// mu serialises writes to the file and the ring. Only slow statements
	// take it, so it is off the path of ordinary statements.
	mu   sync.Mutex
	file *os.File
	ring []Entry
	next int // index in ring of the next entry
	full bool
}

// Open opens the log described by opts. A disabled log (negative
// Threshold) opens no file.
func Open(opts Options) (*Log, error) {
	size := opts.RingSize
	if size <= 0 {
		size = DefaultRingSize
	}
	l := &Log{threshold: opts.Threshold, path: opts.Path, ring: make([]Entry, size), sealer: opts.Sealer}
	if opts.Threshold < 0 || opts.Path == "" {
		return l, nil
	}
	if err := os.MkdirAll(filepath.Dir(opts.Path), 0o700); err != nil {
		return nil, fmt.Errorf("slow query log %q: %w", opts.Path, err)
	}
	f, err := os.OpenFile(opts.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("slow query log %q: %w", opts.Path, err)
	}
	l.file = f
	return l, nil
}

// Enabled reports whether statements are logged at all.
func (l *Log) Enabled() bool { return l != nil && l.threshold >= 0 }

// Threshold returns the configured threshold (negative when disabled).
func (l *Log) Threshold() time.Duration {
	if l == nil {
		return -1
	}
	return l.threshold
}

// Path returns the file the log appends to ("" for none).
func (l *Log) Path() string {
	if l == nil {
		return ""
	}
	return l.path
}

// Slow reports whether a statement that ran for d is to be logged. It
// takes no lock: the handler calls it for every statement.
func (l *Log) Slow(d time.Duration) bool {
	return l != nil && l.threshold >= 0 && d >= l.threshold
}

// Record masks e's query, appends e to the file as one JSON line and keeps
// it for Recent. A write error is returned (the entry stays in the ring);
// the caller decides whether to log it.
func (l *Log) Record(e Entry) error {
	if !l.Enabled() {
		return nil
	}
	e.Query = redact.Query(e.Query)
	written := e
	if l.sealer != nil {
		written.Query = l.sealer.SealString("query", e.Query)
		written.Database = l.sealer.SealString("db", e.Database)
	}
	line, err := json.Marshal(written)
	if err != nil {
		return fmt.Errorf("slow query log: %w", err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring[l.next] = e
	l.next = (l.next + 1) % len(l.ring)
	if l.next == 0 {
		l.full = true
	}
	if l.file == nil {
		return nil
	}
	// One write call per line: with O_APPEND a line is never interleaved
	// with another writer's.
	if _, err := l.file.Write(line); err != nil {
		return fmt.Errorf("slow query log %q: %w", l.path, err)
	}
	return nil
}

// Recent returns up to n of the most recent entries, oldest first. n <= 0
// returns none; n larger than the ring returns all it holds.
func (l *Log) Recent(n int) []Entry {
	if l == nil || n <= 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	held := l.next
	if l.full {
		held = len(l.ring)
	}
	n = min(n, held)
	out := make([]Entry, n)
	for i := range n {
		idx := (l.next - n + i + len(l.ring)) % len(l.ring)
		out[i] = l.ring[idx]
	}
	return out
}

// Close closes the file. Entries recorded after Close stay in memory
// only.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return nil
	}
	err := l.file.Close()
	l.file = nil
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("slow query log %q: %w", l.path, err)
	}
	return nil
}

var _ io.Closer = (*Log)(nil)
