package raftlog

import (
	"errors"
	"fmt"
	"strings"

	pb "go.etcd.io/raft/v3/raftpb"
)

// AppendCommitted writes proposals (each with HeaderLen bytes free in
// front) to the end of the closed log in dir, fsynced, as entries of the
// current term that no one applied: what a crash right after the log's
// fsync and before the apply leaves behind. The next Open commits and
// replays them. It is for recovery tests and measurements (a long
// unapplied tail), never for the write path, which proposes.
// sealer is the log's (nil for a log in the clear).
func AppendCommitted(fsys FS, dir string, sealer Sealer, proposals [][]byte) error {
	if fsys == nil {
		fsys = OSFS{}
	}
	w, rec, err := openWAL(fsys, dir, 64<<20, false, false, sealer, false)
	if err != nil {
		return err
	}
	last := rec.checkpoint.Index + uint64(len(rec.entries))
	term := rec.hardState.Term
	ents := make([]walEntry, 0, len(proposals))
	for i, p := range proposals {
		if len(p) <= HeaderLen {
			return errors.Join(fmt.Errorf("proposal %d is empty", i), w.close())
		}
		ents = append(ents, walEntry{Index: last + 1 + uint64(i), Term: term, Type: byte(pb.EntryNormal), Data: p})
	}
	// In batches, as the log writes them.
	for len(ents) > 0 {
		n := min(len(ents), 1024)
		if err := w.save(nil, ents[:n], true); err != nil {
			return errors.Join(err, w.close())
		}
		ents = ents[n:]
	}
	return w.close()
}

// Info describes a log on disk, read without changing anything.
type Info struct {
	// Checkpoint is the last recorded checkpoint (zero: none).
	Checkpoint Checkpoint
	// Entries are the proposals after the checkpoint, in log order, their
	// data without the header: what the next Open replays.
	Entries []Entry
	// TornBytes is the cut-off end of the newest segment, which the next
	// read-write Open truncates.
	TornBytes int64
	// Segments and Bytes are the log's files and their total size.
	Segments int
	Bytes    int64
	// LastIndex is the index of the last entry (the checkpoint's when
	// none follows it).
	LastIndex uint64
}

// Inspect reads the log in dir without changing it: every record's
// checksum, the continuity of the entries after the checkpoint and of
// their terms. A missing or empty dir is an empty log. It fails with
// ErrCorrupt or ErrNewerLog as Open would. sealer is the log's (nil for
// a log in the clear).
func Inspect(fsys FS, dir string, sealer Sealer) (*Info, error) {
	if fsys == nil {
		fsys = OSFS{}
	}
	_, rec, err := openWAL(fsys, dir, 64<<20, true, false, sealer, false)
	if err != nil {
		return nil, err
	}
	info := &Info{Checkpoint: rec.checkpoint, TornBytes: rec.tornBytes, Segments: rec.segments, Bytes: rec.bytes, LastIndex: rec.checkpoint.Index + uint64(len(rec.entries))}
	for _, e := range rec.entries {
		if pb.EntryType(e.Type) == pb.EntryNormal && len(e.Data) > HeaderLen {
			info.Entries = append(info.Entries, Entry{Index: e.Index, Term: e.Term, Data: e.Data[HeaderLen:]})
		}
	}
	return info, nil
}

// Create starts an empty log in dir (which must hold none): the log of a
// directory built offline, such as a restore, which then starts at the
// state built.
func Create(fsys FS, dir string) error {
	if fsys == nil {
		fsys = OSFS{}
	}
	names, err := fsys.List(dir)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return fmt.Errorf("commit log %s: already exists", dir)
	}
	// No entry yet: a header and a hard state, which are never sealed.
	w, _, err := openWAL(fsys, dir, 64<<20, false, false, nil, false)
	if err != nil {
		return err
	}
	return w.close()
}

// Exists reports whether dir holds a log (at least one segment).
func Exists(fsys FS, dir string) (bool, error) {
	if fsys == nil {
		fsys = OSFS{}
	}
	names, err := fsys.List(dir)
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if strings.HasSuffix(n, segmentSuffix) {
			return true, nil
		}
	}
	return false, nil
}
