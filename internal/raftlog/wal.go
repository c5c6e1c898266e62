package raftlog

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrCorrupt is returned when the log cannot be read back as written: a
// bad record that is not the cut-off end of the newest segment, a gap
// after the checkpoint, a segment of an unknown kind.
var ErrCorrupt = errors.New("commit log is corrupt")

// ErrNewerLog is returned for a log written in a newer format than this
// build reads.
var ErrNewerLog = errors.New("commit log was written by a newer guocedb")

const (
	segmentSuffix  = ".seg"
	checkpointName = "checkpoint"
	checkpointTmp  = "checkpoint.tmp"
	// spareName is the next segment, zero-filled ahead of its use
	// (prepareSpare); spareTmp while it is being filled.
	spareName = "spare.prealloc"
	spareTmp  = "spare.prealloc.tmp"
)

// segment is one file of the log, named by its sequence number.
type segment struct {
	seq      uint64
	name     string
	maxIndex uint64 // highest entry index it holds, 0 when none
}

func segmentName(seq uint64) string { return fmt.Sprintf("%016x%s", seq, segmentSuffix) }

// walEntry is an entry as stored: raft's entry type besides index, term
// and data.
type walEntry struct {
	Index, Term uint64
	Type        byte
	Data        []byte
}

// recovered is what a WAL held when opened.
type recovered struct {
	checkpoint Checkpoint
	hardState  hardState
	// entries follow the checkpoint without a gap.
	entries []walEntry
	// tornBytes were cut from the end of the newest segment: a write that
	// a crash interrupted before its fsync.
	tornBytes int64
	// segments and bytes are the log's files and their total size.
	segments int
	bytes    int64
}

// wal is the durable store of raft's entries and hard state: segment files
// of framed records, appended and fsynced once per Save, and a checkpoint
// file below which segments are deleted. Safe for concurrent use.
type wal struct {
	fs          FS
	dir         string
	segmentSize int64
	noSync      bool   // see Options.NoSync
	sealer      Sealer // see Options.Sealer; nil: entries in the clear
	counters    *logCounters

	cpMu      sync.Mutex // serialises setCheckpoint
	mu        sync.Mutex
	segs      []segment // by sequence; the last one is cur
	cur       File
	curSize   int64
	lastIndex uint64 // highest index written
	durable   uint64 // highest index written and synced
	hs        hardState
	cp        Checkpoint

	// Preallocation (Options.Preallocate): the next segment is filled
	// with zeros by a background goroutine, so that the segment being
	// written never grows and an fdatasync has no metadata to commit.
	// Guarded by mu.
	prealloc   bool
	overwrite  bool // cur is a preallocated segment
	spareReady bool // spareName is complete
	spareBusy  bool // a preparation is running
	stopped    bool
	spareDone  sync.WaitGroup
}

// openWAL reads the log in dir (empty or missing: a new log), cuts a torn
// end off its newest segment, and, unless readOnly, starts a new segment
// to append to.
func openWAL(fsys FS, dir string, segmentSize int64, readOnly, noSync bool, sealer Sealer, prealloc bool) (*wal, *recovered, error) {
	if !readOnly {
		if err := fsys.MkdirAll(dir); err != nil {
			return nil, nil, fmt.Errorf("commit log %s: %w", dir, err)
		}
	}
	w := &wal{fs: fsys, dir: dir, segmentSize: segmentSize, noSync: noSync, sealer: sealer, counters: &logCounters{}, prealloc: prealloc && !readOnly}
	rec, err := w.recover(readOnly)
	if err != nil {
		return nil, nil, fmt.Errorf("commit log %s: %w", dir, err)
	}
	if readOnly {
		return w, rec, nil
	}
	if err := w.removeSpares(); err != nil {
		return nil, nil, fmt.Errorf("commit log %s: %w", dir, err)
	}
	if err := w.startSegment(); err != nil {
		return nil, nil, fmt.Errorf("commit log %s: %w", dir, err)
	}
	return w, rec, nil
}

func (w *wal) path(name string) string { return filepath.Join(w.dir, name) }

func (w *wal) recover(readOnly bool) (*recovered, error) {
	rec := &recovered{}
	b, err := w.fs.ReadFile(w.path(checkpointName))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if rec.checkpoint, err = decodeCheckpoint(b); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
	}
	w.cp = rec.checkpoint
	names, err := w.fs.List(w.dir)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if !strings.HasSuffix(name, segmentSuffix) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, segmentSuffix), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: unexpected file %s", ErrCorrupt, name)
		}
		w.segs = append(w.segs, segment{seq: seq, name: name})
	}
	rec.hardState = hardState{Term: rec.checkpoint.Term, Commit: rec.checkpoint.Index}
	last := rec.checkpoint.Index // index of the last entry kept
	for i := range w.segs {
		seg := &w.segs[i]
		newest := i == len(w.segs)-1
		data, err := w.fs.ReadFile(w.path(seg.name))
		if err != nil {
			return nil, err
		}
		rec.segments++
		rec.bytes += int64(len(data))
		off, err := w.readSegment(seg, data, rec, &last)
		if errors.Is(err, errTorn) && newest {
			// The end of the newest segment is the only place a crash can
			// cut a write short: everything before it was fsynced.
			rec.tornBytes = int64(len(data) - off)
			if !readOnly {
				if err := w.fs.Truncate(w.path(seg.name), int64(off)); err != nil {
					return nil, err
				}
			}
			continue
		}
		if errors.Is(err, errTorn) {
			return nil, fmt.Errorf("%w: segment %s: bad record at byte %d", ErrCorrupt, seg.name, off)
		}
		if err != nil {
			return nil, fmt.Errorf("segment %s: %w", seg.name, err)
		}
	}
	if rec.hardState.Commit > last {
		rec.hardState.Commit = last
	}
	// What the state holds was committed (a hard state written after
	// it may not have reached the disk), as far as the log still has it.
	if a := min(rec.checkpoint.applied(), last); rec.hardState.Commit < a {
		rec.hardState.Commit = a
	}
	if rec.hardState.Commit < rec.checkpoint.Index {
		rec.hardState.Commit = rec.checkpoint.Index
	}
	if rec.hardState.Term < rec.checkpoint.Term {
		rec.hardState.Term = rec.checkpoint.Term
	}
	w.hs = rec.hardState
	w.lastIndex, w.durable = last, last
	return rec, nil
}

// readSegment reads seg's records into rec. It returns the offset of the
// first bad record with errTorn, or len(data).
func (w *wal) readSegment(seg *segment, data []byte, rec *recovered, last *uint64) (int, error) {
	off := 0
	for off < len(data) {
		typ, p, n, err := readRecord(data[off:])
		if err != nil && allZero(data[off:]) {
			// The unused end of a preallocated segment (prepareSpare).
			return off, nil
		}
		if err != nil {
			return off, err
		}
		if off == 0 {
			if typ != recSegment {
				return 0, fmt.Errorf("%w: no segment header", ErrCorrupt)
			}
			v, seq, err := decodeSegmentHeader(p)
			if err != nil {
				return 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
			}
			if v > formatVersion {
				return 0, fmt.Errorf("%w: format %d, this build reads up to %d", ErrNewerLog, v, formatVersion)
			}
			if seq != seg.seq {
				return 0, fmt.Errorf("%w: header names segment %d", ErrCorrupt, seq)
			}
			off += n
			continue
		}
		switch typ {
		case recEntry, recSealedEntry:
			var idx, term uint64
			var etyp byte
			var d []byte
			switch {
			case typ == recSealedEntry:
				idx, term, etyp, d, err = openEntry(w.sealer, p)
			case w.sealer != nil:
				err = ErrEncrypted
			default:
				idx, term, etyp, d, err = decodeEntry(p)
			}
			if errors.Is(err, errTorn) && off+n < len(data) && !allZero(data[off+n:]) {
				// The framing and CRC are intact and more records follow:
				// no crash leaves that, so a seal that does not open is
				// a changed record (or the wrong key), never a torn tail.
				return off, fmt.Errorf("%w: record at byte %d does not authenticate: %v", ErrCorrupt, off, err)
			}
			if errors.Is(err, errTorn) || errors.Is(err, ErrEncrypted) {
				return off, err
			}
			if err != nil {
				return off, fmt.Errorf("%w: %v", ErrCorrupt, err)
			}
			seg.maxIndex = max(seg.maxIndex, idx)
			cp := rec.checkpoint.Index
			switch {
			case idx <= cp:
				// Covered by the checkpoint: never replayed.
			case idx > *last+1:
				return off, fmt.Errorf("%w: entry %d follows entry %d", ErrCorrupt, idx, *last)
			case idx > cp+1 && rec.entries[idx-cp-2].Term > term:
				return off, fmt.Errorf("%w: entry %d has term %d, below its predecessor's %d", ErrCorrupt, idx, term, rec.entries[idx-cp-2].Term)
			default:
				// An index at or below the last one replaces the entries
				// from there on (raft rewrote an uncommitted suffix).
				rec.entries = append(rec.entries[:idx-cp-1], walEntry{Index: idx, Term: term, Type: etyp, Data: d})
				*last = idx
			}
		case recHardState:
			hs, err := decodeHardState(p)
			if err != nil {
				return off, fmt.Errorf("%w: %v", ErrCorrupt, err)
			}
			rec.hardState = hs
		default:
			return off, fmt.Errorf("%w: unknown record type %d", ErrCorrupt, typ)
		}
		off += n
	}
	return off, nil
}

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// startSegment opens a new newest segment, beginning with the current
// hard state so that older segments are never needed for it: the spare
// when one is ready (its zeros are overwritten), else a new file that
// grows as it is written, while a spare is prepared for the next.
func (w *wal) startSegment() error {
	seq := uint64(1)
	if n := len(w.segs); n > 0 {
		seq = w.segs[n-1].seq + 1
	}
	name := segmentName(seq)
	var f File
	var err error
	overwrite := w.spareReady
	if overwrite {
		// The rename is made durable with the header, below.
		w.spareReady = false
		if err = w.fs.Rename(w.path(spareName), w.path(name)); err == nil {
			f, err = w.fs.OpenWriter(w.path(name))
		}
		overwrite = err == nil
	}
	if !overwrite {
		// No spare, or it could not be used: a segment that grows.
		f, err = w.fs.Create(w.path(name))
	}
	if err != nil {
		return err
	}
	w.prepareSpare()
	buf := encodeSegmentHeader(seq)
	buf = encodeHardState(buf, w.hs)
	if _, err := f.Write(buf); err != nil {
		return errors.Join(err, f.Close())
	}
	// The new file's name must be durable before entries in it count.
	if err := w.sync(f); err != nil {
		return errors.Join(err, f.Close())
	}
	w.segs = append(w.segs, segment{seq: seq, name: name})
	w.cur, w.curSize, w.overwrite = f, int64(len(buf)), overwrite
	return nil
}

// removeSpares removes the spares a previous run left: a complete one
// could have been renamed to a segment and written while that rename
// was not yet durable, so its zeros are not to be trusted; a new one
// is prepared.
func (w *wal) removeSpares() error {
	names, err := w.fs.List(w.dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		if name == spareName || name == spareTmp {
			if err := w.fs.Remove(w.path(name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// spareChunk is the size of one write of zeros into a spare.
const spareChunk = 1 << 20

// prepareSpare starts filling the next segment with zeros in the
// background, unless one is ready or being prepared. Called with mu
// held. A failure leaves no spare: the next segment grows as it is
// written, and the next rotation tries again; it never fails a commit.
func (w *wal) prepareSpare() {
	if !w.prealloc || w.spareReady || w.spareBusy || w.stopped {
		return
	}
	w.spareBusy = true
	w.spareDone.Add(1)
	go func() {
		defer w.spareDone.Done()
		err := w.fillSpare()
		w.mu.Lock()
		defer w.mu.Unlock()
		w.spareBusy = false
		w.spareReady = err == nil
	}()
}

// fillSpare writes segmentSize zeros to spareTmp, syncs it and renames
// it to spareName: a file of that name is always whole.
func (w *wal) fillSpare() error {
	f, err := w.fs.Create(w.path(spareTmp))
	if err != nil {
		return err
	}
	zeros := make([]byte, spareChunk)
	for n := int64(0); n < w.segmentSize; n += spareChunk {
		w.mu.Lock()
		stopped := w.stopped
		w.mu.Unlock()
		if stopped {
			return errors.Join(errors.New("commit log closed"), f.Close())
		}
		if _, err := f.Write(zeros[:min(spareChunk, w.segmentSize-n)]); err != nil {
			return errors.Join(err, f.Close())
		}
	}
	if !w.noSync {
		if err := f.Sync(); err != nil {
			return errors.Join(err, f.Close())
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return w.fs.Rename(w.path(spareTmp), w.path(spareName))
}

// save appends entries and the hard state (nil: unchanged), and fsyncs
// when sync is set: one write and at most one fsync for all of them,
// however many commits they carry.
func (w *wal) save(hs *hardState, ents []walEntry, sync bool) error {
	if len(ents) == 0 && hs == nil {
		return nil
	}
	var buf []byte
	for _, e := range ents {
		buf = encodeEntry(buf, w.sealer, e.Index, e.Term, e.Type, e.Data)
	}
	if hs != nil {
		buf = encodeHardState(buf, *hs)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil {
		return errors.New("commit log is closed")
	}
	// A segment holds at least one batch, however large. A growing
	// segment gives way to a spare as soon as one is ready.
	if w.curSize+int64(len(buf)) > w.segmentSize && w.segs[len(w.segs)-1].maxIndex > 0 ||
		w.spareReady && !w.overwrite {
		if err := w.rotateLocked(); err != nil {
			return err
		}
	}
	if _, err := w.cur.Write(buf); err != nil {
		return fmt.Errorf("commit log write: %w", err)
	}
	w.curSize += int64(len(buf))
	w.counters.writes.Add(1)
	w.counters.entries.Add(uint64(len(ents)))
	w.counters.bytes.Add(uint64(len(buf)))
	if n := len(ents); n > 0 {
		w.lastIndex = ents[n-1].Index
		seg := &w.segs[len(w.segs)-1]
		seg.maxIndex = max(seg.maxIndex, w.lastIndex)
	}
	if hs != nil {
		w.hs = *hs
	}
	if sync && !w.noSync {
		start := time.Now()
		if err := w.cur.Sync(); err != nil {
			return fmt.Errorf("commit log fsync: %w", err)
		}
		w.counters.sync.observe(time.Since(start))
	}
	if sync || w.noSync {
		w.durable = w.lastIndex
	}
	return nil
}

// sync fsyncs f (when not nil) and the directory, unless noSync.
func (w *wal) sync(f File) error {
	if w.noSync {
		return nil
	}
	if f != nil {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	return w.fs.SyncDir(w.dir)
}

func (w *wal) rotateLocked() error {
	if err := w.sync(w.cur); err != nil {
		return fmt.Errorf("commit log fsync: %w", err)
	}
	w.durable = w.lastIndex
	if err := w.cur.Close(); err != nil {
		return fmt.Errorf("commit log close segment: %w", err)
	}
	w.cur = nil
	if err := w.startSegment(); err != nil {
		return fmt.Errorf("commit log new segment: %w", err)
	}
	return nil
}

// durableIndex returns the highest entry index known to be fsynced.
func (w *wal) durableIndex() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.durable
}

// setCheckpoint durably records cp (write, fsync, rename, fsync of the
// directory), then deletes the segments whose entries all lie at or
// below it. The caller guarantees that its state holds every entry up to
// cp.Index durably before calling.
//
// The file work runs outside mu, so that appends (commits) do not wait
// for the checkpoint's fsyncs; cpMu keeps checkpoints in order.
func (w *wal) setCheckpoint(cp Checkpoint) error {
	w.cpMu.Lock()
	defer w.cpMu.Unlock()
	w.mu.Lock()
	prev, durable := w.cp, w.durable
	w.mu.Unlock()
	if cp.Index < prev.Index {
		// The log is never cut back below a previous checkpoint; only
		// the applied index may still move.
		cp.Index, cp.Term, cp.Conf = prev.Index, prev.Term, prev.Conf
	}
	if cp.Index == prev.Index && cp.applied() <= prev.applied() {
		return nil
	}
	if cp.applied() > durable {
		return fmt.Errorf("checkpoint %d beyond the durable log (%d)", cp.applied(), durable)
	}
	f, err := w.fs.Create(w.path(checkpointTmp))
	if err != nil {
		return err
	}
	if _, err := f.Write(encodeCheckpoint(cp)); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := w.sync(f); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := w.fs.Rename(w.path(checkpointTmp), w.path(checkpointName)); err != nil {
		return err
	}
	if err := w.sync(nil); err != nil {
		return err
	}
	// Only whole segments go, and never the one being written: a reader
	// needs no partial file, and deletions need no fsync (a segment that
	// reappears after a crash lies below the checkpoint and is skipped,
	// then deleted again).
	w.mu.Lock()
	w.cp = cp
	var drop []string
	keep := w.segs[:0]
	for i, sg := range w.segs {
		if i < len(w.segs)-1 && sg.maxIndex <= cp.Index {
			drop = append(drop, sg.name)
			continue
		}
		keep = append(keep, sg)
	}
	w.segs = keep
	w.mu.Unlock()
	for _, name := range drop {
		if err := w.fs.Remove(w.path(name)); err != nil {
			return err
		}
	}
	return nil
}

// installSnapshot records a snapshot as the checkpoint: the log now
// starts after cp.Index, whatever it held below (older entries, or
// none: a member that was far behind). Entries written later follow
// cp.Index; segments wholly at or below it are deleted.
func (w *wal) installSnapshot(cp Checkpoint) error {
	w.mu.Lock()
	w.lastIndex = cp.Index
	w.durable = cp.Index
	if w.hs.Commit < cp.Index {
		w.hs.Commit = cp.Index
	}
	w.mu.Unlock()
	return w.setCheckpoint(cp)
}

// close closes the segment being written; it was synced by every save
// that needed it.
func (w *wal) close() error {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	// A spare being filled stops at its next chunk; a half-filled one is
	// removed at the next open.
	w.spareDone.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil {
		return nil
	}
	err := w.cur.Close()
	w.cur = nil
	return err
}
