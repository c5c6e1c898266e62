// Package faultfs is an in-memory raftlog.FS that can crash: it keeps
// what was written, what was fsynced and which directory entries were
// made durable, fails every operation after a chosen number of them, and
// produces the files a crash at that point could leave behind. It exists
// for the log's and the store's crash tests; nothing else may use it.
package faultfs

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/guocedb/guocedb/internal/raftlog"
)

// ErrCrashed is returned by every operation after the crash point.
var ErrCrashed = errors.New("faultfs: crashed")

// Mode is what a crash does to data written but not fsynced.
type Mode int

const (
	// DropUnsynced loses everything not fsynced.
	DropUnsynced Mode = iota
	// CutRandom keeps a random number of the unsynced bytes: the last
	// write is cut at a random byte, possibly inside a record.
	CutRandom
	// CutGarbage is CutRandom followed by random bytes, as a sector
	// written only in part can read back.
	CutGarbage
)

// node is a file: data as written, of which the first synced bytes are
// durable, then, for a preallocated file opened with OpenWriter, zeros
// up to fill (durable: synced before the file was opened so).
type node struct {
	data   []byte
	synced int
	fill   int
}

// content is what a reader sees.
func (n *node) content() []byte {
	out := append([]byte(nil), n.data...)
	if n.fill > len(out) {
		out = append(out, make([]byte, n.fill-len(out))...)
	}
	return out
}

// FS is the crashable file system. Safe for concurrent use.
type FS struct {
	mu      sync.Mutex
	files   map[string]*node // the namespace as the process sees it
	durable map[string]*node // the namespace as of the last SyncDir
	ops     int
	limit   int // operations allowed; <0: no limit
}

var _ raftlog.FS = (*FS)(nil)

// New returns an empty FS without a crash point.
func New() *FS {
	return &FS{files: map[string]*node{}, durable: map[string]*node{}, limit: -1}
}

// CrashAfter makes the n+1st mutating operation from now on, and every
// one after it, fail with ErrCrashed.
func (f *FS) CrashAfter(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops, f.limit = 0, n
}

// Ops returns the mutating operations counted since New or CrashAfter.
func (f *FS) Ops() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops
}

// step counts a mutating operation and reports whether it may run.
func (f *FS) step() error {
	f.ops++
	if f.limit >= 0 && f.ops > f.limit {
		return ErrCrashed
	}
	return nil
}

// Crash returns the files a crash now could leave: the directory entries
// made durable by the last SyncDir, each file's fsynced bytes, and of the
// unsynced bytes what mode keeps (chosen with rng).
func (f *FS) Crash(rng *rand.Rand, mode Mode) *FS {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := New()
	copies := map[*node]*node{}
	for name, n := range f.durable {
		c, ok := copies[n]
		if !ok {
			keep := n.synced
			if mode != DropUnsynced && len(n.data) > n.synced {
				keep += rng.IntN(len(n.data) - n.synced + 1)
			}
			c = &node{data: append([]byte(nil), n.data[:keep]...)}
			if mode == CutGarbage && keep < len(n.data) {
				junk := make([]byte, 1+rng.IntN(64))
				for i := range junk {
					junk[i] = byte(rng.UintN(256))
				}
				c.data = append(c.data, junk...)
			}
			if n.fill > len(c.data) {
				// The preallocated zeros after what was kept.
				c.data = append(c.data, make([]byte, n.fill-len(c.data))...)
			}
			c.synced = len(c.data)
			copies[n] = c
		}
		out.files[name] = c
		out.durable[name] = c
	}
	return out
}

// Overwritten returns how many files under dir were opened with
// OpenWriter (preallocated files written over their zeros), for tests
// to see that their runs reached such files.
func (f *FS) Overwritten(dir string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	prefix := filepath.Clean(dir) + string(filepath.Separator)
	for name, nd := range f.files {
		if strings.HasPrefix(name, prefix) && nd.fill > 0 {
			n++
		}
	}
	return n
}

// MkdirAll implements raftlog.FS; directories are implicit.
func (f *FS) MkdirAll(string) error { return nil }

// List implements raftlog.FS.
func (f *FS) List(dir string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for name := range f.files {
		if filepath.Dir(name) == filepath.Clean(dir) {
			names = append(names, filepath.Base(name))
		}
	}
	sort.Strings(names)
	return names, nil
}

// ReadFile implements raftlog.FS.
func (f *FS) ReadFile(name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return n.content(), nil
}

// Create implements raftlog.FS.
func (f *FS) Create(name string) (raftlog.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.step(); err != nil {
		return nil, err
	}
	n := &node{}
	f.files[name] = n
	return &file{fs: f, n: n}, nil
}

// OpenAppend implements raftlog.FS.
func (f *FS) OpenAppend(name string) (raftlog.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &file{fs: f, n: n}, nil
}

// OpenWriter implements raftlog.FS: the file's content (zeros, synced)
// becomes its preallocated fill, which writes from its start replace.
func (f *FS) OpenWriter(name string) (raftlog.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	n.fill, n.data, n.synced = len(n.content()), nil, 0
	return &file{fs: f, n: n}, nil
}

// Truncate implements raftlog.FS (the cut is synced).
func (f *FS) Truncate(name string, size int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.step(); err != nil {
		return err
	}
	n, ok := f.files[name]
	if !ok {
		return &fs.PathError{Op: "truncate", Path: name, Err: fs.ErrNotExist}
	}
	n.data = n.content()
	if int(size) < len(n.data) {
		n.data = n.data[:size]
	}
	n.synced, n.fill = len(n.data), 0
	return nil
}

// Remove implements raftlog.FS.
func (f *FS) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.step(); err != nil {
		return err
	}
	if _, ok := f.files[name]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	delete(f.files, name)
	return nil
}

// Rename implements raftlog.FS.
func (f *FS) Rename(oldName, newName string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.step(); err != nil {
		return err
	}
	n, ok := f.files[oldName]
	if !ok {
		return &fs.PathError{Op: "rename", Path: oldName, Err: fs.ErrNotExist}
	}
	f.files[newName] = n
	delete(f.files, oldName)
	return nil
}

// SyncDir implements raftlog.FS: the namespace under dir becomes durable.
func (f *FS) SyncDir(dir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.step(); err != nil {
		return err
	}
	prefix := filepath.Clean(dir) + string(filepath.Separator)
	for name := range f.durable {
		if strings.HasPrefix(name, prefix) {
			delete(f.durable, name)
		}
	}
	for name, n := range f.files {
		if strings.HasPrefix(name, prefix) {
			f.durable[name] = n
		}
	}
	return nil
}

type file struct {
	fs *FS
	n  *node
}

func (h *file) Write(p []byte) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.fs.step(); err != nil {
		return 0, err
	}
	h.n.data = append(h.n.data, p...)
	return len(p), nil
}

func (h *file) Sync() error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.fs.step(); err != nil {
		return err
	}
	h.n.synced = len(h.n.data)
	return nil
}

func (h *file) Close() error { return nil }
