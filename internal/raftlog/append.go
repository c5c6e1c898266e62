package raftlog

import (
	"errors"
	"fmt"

	pb "go.etcd.io/raft/v3/raftpb"
)

// AppendCommitted writes proposals (each with HeaderLen bytes free in
// front) to the end of the closed log in dir, fsynced, as entries of the
// current term that no one applied: what a crash right after the log's
// fsync and before the apply leaves behind. The next Open commits and
// replays them. It is for recovery tests and measurements (a long
// unapplied tail), never for the write path, which proposes.
func AppendCommitted(fsys FS, dir string, proposals [][]byte) error {
	if fsys == nil {
		fsys = OSFS{}
	}
	w, rec, err := openWAL(fsys, dir, 64<<20, false)
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
