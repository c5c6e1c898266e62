package server

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/guocedb/guocedb/internal/cluster"
	"github.com/guocedb/guocedb/internal/raftlog"
	"github.com/guocedb/guocedb/internal/storage"
)

// snapshots is the store's side of snapshot streaming for the transport
// (cluster.SnapshotSource and SnapshotSink): a leader streams a
// consistent Badger snapshot, a member too far behind loads one. The
// store and the log are set once the log is open (storage's Attached),
// before the member waits for its leader: a new member may need a
// snapshot to get that far.
type snapshots struct {
	ms  *cluster.Membership
	st  atomic.Pointer[storage.Store]
	log atomic.Pointer[raftlog.Log]
}

var (
	_ cluster.SnapshotSource = (*snapshots)(nil)
	_ cluster.SnapshotSink   = (*snapshots)(nil)
)

// OpenSnapshot pins a snapshot of the store (a read view at a timestamp,
// held like a transaction's, so compaction keeps its versions while it
// streams) at the log's applied index.
func (sn *snapshots) OpenSnapshot(ctx context.Context) (cluster.SnapshotHeader, func(context.Context, []byte, func(cluster.SnapshotRecord) error) error, func(), error) {
	st, lg := sn.st.Load(), sn.log.Load()
	if st == nil || lg == nil {
		return cluster.SnapshotHeader{}, nil, nil, errors.New("storage is not open")
	}
	snap, err := st.Snapshot(ctx)
	if err != nil {
		return cluster.SnapshotHeader{}, nil, nil, err
	}
	idx := snap.LogIndex()
	term, conf, err := lg.SnapshotMeta(idx)
	if err != nil {
		snap.Close()
		return cluster.SnapshotHeader{}, nil, nil, err
	}
	cs := sn.ms.State()
	hdr := cluster.SnapshotHeader{
		SnapshotTarget: raftlog.SnapshotTarget{Index: idx, LogTerm: term, Conf: conf},
		Ts:             snap.Ts(),
		Members:        cs.Members,
		InitialVoters:  cs.BootVoters(),
		MaxRaftID:      cs.MaxRaftID,
	}
	scan := func(ctx context.Context, after []byte, emit func(cluster.SnapshotRecord) error) error {
		return snap.ScanAfter(ctx, after, func(e storage.SnapshotEntry) error {
			v, err := e.Value()
			if err != nil {
				return err
			}
			return emit(cluster.SnapshotRecord{Key: e.Key(), Value: v, Version: e.Version()})
		})
	}
	return hdr, scan, snap.Close, nil
}

// snapshotID is the store's identity of the snapshot hdr names.
func snapshotID(hdr cluster.SnapshotHeader) storage.SnapshotID {
	return storage.SnapshotID{Ts: hdr.Ts, Index: hdr.Index, Term: hdr.LogTerm}
}

// ResumePoint: have when the log has committed past the snapshot, else
// the store's progress in an interrupted load of that very snapshot.
func (sn *snapshots) ResumePoint(hdr cluster.SnapshotHeader) ([]byte, uint64, bool) {
	st, lg := sn.st.Load(), sn.log.Load()
	if st == nil || lg == nil {
		return nil, 0, false
	}
	if lg.Stale(hdr.Index) {
		return nil, 0, true
	}
	p, ok := st.SnapshotProgress()
	if !ok || p.SnapshotID != snapshotID(hdr) || p.Keys == 0 {
		return nil, 0, false
	}
	return p.LastKey, p.Keys, false
}

// InstallSnapshot loads a leader's snapshot into the store (the keys
// above after: an interrupted load of it holds the rest), takes the
// leader's membership, and hands the snapshot to raft. A snapshot this
// member has already passed is read to its end and acknowledged: raft
// learns where the member is from its next answer.
func (sn *snapshots) InstallSnapshot(ctx context.Context, hdr cluster.SnapshotHeader, after []byte, next func() ([]cluster.SnapshotRecord, error)) error {
	st, lg := sn.st.Load(), sn.log.Load()
	if st == nil || lg == nil {
		return errors.New("storage is not open")
	}
	var kvs []storage.SnapshotKV
	nextKV := func() ([]storage.SnapshotKV, error) {
		recs, err := next()
		if recs == nil || err != nil {
			return nil, err
		}
		kvs = kvs[:0]
		for _, r := range recs {
			kvs = append(kvs, storage.SnapshotKV{Key: r.Key, Value: r.Value, Version: r.Version})
		}
		return kvs, nil
	}
	drain := func() error {
		for {
			recs, err := next()
			if recs == nil || err != nil {
				return err
			}
		}
	}
	if lg.Stale(hdr.Index) {
		return drain()
	}
	err := st.LoadSnapshotFrom(ctx, snapshotID(hdr), after, nextKV)
	if errors.Is(err, storage.ErrSnapshotStale) {
		return drain()
	}
	if err != nil {
		return err
	}
	if err := sn.ms.Reset(hdr.Members, hdr.InitialVoters, hdr.MaxRaftID); err != nil {
		return fmt.Errorf("cluster state: %w", err)
	}
	if err := lg.InstallSnapshot(ctx, hdr.SnapshotTarget); err != nil && !errors.Is(err, raftlog.ErrSnapshotStale) {
		return err
	}
	return nil
}
