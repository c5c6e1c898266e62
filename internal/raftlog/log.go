package raftlog

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// HeaderLen is the number of bytes at the front of every proposal's data
// that the log overwrites with its proposal id: callers leave them free,
// so that a large write set is not copied to make room.
const HeaderLen = 8

// singleNodeID is the raft id of a single node, a group of one voter; a
// cluster member's comes from ClusterOptions.
const singleNodeID = 1

// MaxProposal bounds one proposal's data: a record the reader would
// refuse (maxRecordLen) must never be written, or recovery would take it
// for a torn write and drop it.
const MaxProposal = maxRecordLen - 64

// ErrTooLarge is returned by Propose for data above MaxProposal.
var ErrTooLarge = errors.New("commit log: proposal too large")

// ErrClosed is returned by Propose after Close.
var ErrClosed = errors.New("commit log is closed")

// ErrFailed wraps the error that stopped the log (a failed write, fsync
// or apply). A commit that fails with it may or may not be in the log: its
// outcome is unknown until the next start replays the log.
var ErrFailed = errors.New("commit log failed; the outcome of the commit is unknown")

// Options configures a Log.
type Options struct {
	// Dir holds the log's files.
	Dir string
	// FS is the file layer; nil means the operating system's.
	FS FS
	// SegmentSize is the size at which a new segment file is started; 0
	// means 16 MiB (with Preallocate, the size of each zero-filled spare:
	// small enough to fill in a few tens of milliseconds at start).
	SegmentSize int64
	// Apply applies committed entries to the application's state, in log
	// order, from one goroutine. It is given only entries that are durable
	// in the local log, and may be given an entry again after a restart
	// (everything after the checkpoint is replayed): it must be
	// idempotent. An error stops the log (ErrFailed).
	Apply func([]Entry) error
	// Logger receives the log's and raft's messages; nil discards them.
	Logger *slog.Logger
	// TickInterval is raft's logical clock; 0 means 100ms.
	TickInterval time.Duration
	// NoSync skips the fsyncs: entries count as durable once written to
	// the operating system. For tests that do not crash the machine.
	NoSync bool
	// Preallocate fills the next segment with zeros in the background
	// (SegmentSize bytes, kept as spare.prealloc), so that appends
	// overwrite zeros instead of growing a file: the fdatasync of a
	// group commit then has no file size to journal, about half the
	// latency on ext4. Costs SegmentSize of disk ahead of use.
	Preallocate bool
	// Sealer, when set, encrypts every entry's data (encryption at rest);
	// a log written with one must be opened with one of the same master
	// key, and one written without must be opened without.
	Sealer Sealer
	// Cluster, when set, makes the log one voter of a group of several;
	// nil is a single node, which elects itself at Open.
	Cluster *ClusterOptions
}

// Recovery describes what Open found and replayed.
type Recovery struct {
	// Checkpoint is where replay started.
	Checkpoint Checkpoint
	// Replayed is the number of proposals after the checkpoint that were
	// applied again (raft's own empty entries not counted).
	Replayed int
	// TornBytes were cut from the end of the log: a write a crash
	// interrupted before its fsync, never acknowledged.
	TornBytes int64
	// Duration is the time Open took, replay included.
	Duration time.Duration
}

// Log is a raft group of one voter whose log is the write-ahead log of
// the application state: Propose returns once the entry is durable,
// committed and applied. Safe for concurrent use.
type Log struct {
	opts    Options
	logger  *slog.Logger
	w       *wal
	storage *raft.MemoryStorage
	rn      *raft.RawNode // owned by the run goroutine after Open

	mu      sync.Mutex
	props   []*proposal          // waiting to be handed to raft
	waiters map[uint64]*proposal // proposed, waiting to be applied
	// confWaiters are membership changes proposed here, by proposal id.
	confWaiters map[uint64]chan error
	nextID      uint64
	failErr     error
	closed      bool

	applied atomic.Uint64 // highest index whose Apply returned
	// held is the last entry the state already held at Open (the
	// checkpoint's applied index): raft hands the entries up to it over
	// again (their membership changes must reach it), but Apply does not
	// see them.
	held uint64
	// replaying is set while Open replays the log: raft does not tick,
	// so a member does not campaign before it can serve (it still votes
	// and follows). A restarted leader has the longest log and would win
	// an election the others were slow to hold, then serve nothing until
	// its replay ended.
	replaying atomic.Bool
	// confHist holds the configurations from the last checkpoint's on,
	// each with the index it took effect at (confchange.go).
	confMu       sync.Mutex
	confHist     []confAt
	id           uint64 // this node's raft id
	electionTick int
	role         roleState
	reads        readWaits                // linearizable reads (reads.go)
	recv         chan *pb.Message         // messages from peers, for the run goroutine
	ops          chan func(*raft.RawNode) // transport reports, for the run goroutine
	wake         chan struct{}
	applyCh      chan []*pb.Entry
	stop         chan struct{}
	runDone      chan struct{}
	appDone      chan struct{}
}

type proposal struct {
	id   uint64
	data []byte
	done chan error
	// proposed: handed to raft, so it may be in the log (its outcome is
	// unknown if leadership changes before it is applied).
	proposed bool
}

// Open opens (creating if needed) the log in opts.Dir and replays every
// entry after the checkpoint that is known to be committed through Apply
// before it returns. A single node becomes the leader of its one-voter
// group, so its whole log is committed and replayed; a cluster member
// replays up to its recorded commit index and leaves the rest to the
// leader it will hear from (or become).
func Open(opts Options) (*Log, *Recovery, error) {
	start := time.Now()
	if opts.FS == nil {
		opts.FS = OSFS{}
	}
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = 16 << 20
	}
	if opts.TickInterval <= 0 {
		opts.TickInterval = 100 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Apply == nil {
		return nil, nil, errors.New("commit log: no Apply function")
	}
	id, voters := uint64(singleNodeID), []uint64{singleNodeID}
	electionTick, heartbeatTick := 10, 1
	if c := opts.Cluster; c != nil {
		if c.ID == 0 || len(c.Voters) == 0 || c.Send == nil {
			return nil, nil, errors.New("commit log: cluster options need an id, the voters and a transport")
		}
		id, voters = c.ID, c.Voters
		electionTick, heartbeatTick = cmp.Or(c.ElectionTick, 15), cmp.Or(c.HeartbeatTick, 2)
	}
	w, rec, err := openWAL(opts.FS, opts.Dir, opts.SegmentSize, false, opts.NoSync, opts.Sealer, opts.Preallocate)
	if err != nil {
		return nil, nil, err
	}
	l := &Log{
		opts:         opts,
		logger:       opts.Logger,
		w:            w,
		storage:      raft.NewMemoryStorage(),
		waiters:      make(map[uint64]*proposal),
		confWaiters:  make(map[uint64]chan error),
		id:           id,
		electionTick: electionTick,
		recv:         make(chan *pb.Message, 4096),
		ops:          make(chan func(*raft.RawNode), 256),
		wake:         make(chan struct{}, 1),
		applyCh:      make(chan []*pb.Entry, 16),
		stop:         make(chan struct{}),
		runDone:      make(chan struct{}),
		appDone:      make(chan struct{}),
	}
	if rec.tornBytes > 0 {
		l.logger.Warn("commit log: cut an unfinished write off the end", "bytes", rec.tornBytes)
	}
	cp := rec.checkpoint
	// The checkpoint is raft's snapshot: the application state holds
	// everything up to it. It also carries the group's configuration at
	// its index: one voter, this node; a cluster's voters and learners as
	// recorded with the checkpoint; or, before any was recorded, the
	// voters the cluster started with. Membership changes after it are
	// in the log and applied again as the replay reaches them.
	conf := &pb.ConfState{Voters: voters}
	if len(cp.Conf) > 0 && opts.Cluster != nil {
		conf = &pb.ConfState{}
		if err := proto.Unmarshal(cp.Conf, conf); err != nil {
			return nil, nil, errors.Join(fmt.Errorf("commit log %s: checkpoint configuration: %w", opts.Dir, err), w.close())
		}
	}
	l.confHist = []confAt{{index: cp.Index, cs: conf}}
	snap := &pb.Snapshot{Metadata: &pb.SnapshotMetadata{
		Index:     new(cp.Index),
		Term:      new(cp.Term),
		ConfState: conf,
	}}
	err = l.storage.ApplySnapshot(snap)
	if err == nil {
		err = l.storage.Append(toPB(rec.entries))
	}
	if err == nil {
		err = l.storage.SetHardState(&pb.HardState{Term: new(rec.hardState.Term), Vote: new(rec.hardState.Vote), Commit: new(rec.hardState.Commit)})
	}
	if err == nil {
		l.rn, err = raft.NewRawNode(&raft.Config{
			ID:                       id,
			ElectionTick:             electionTick,
			HeartbeatTick:            heartbeatTick,
			Storage:                  l.storage,
			Applied:                  cp.Index,
			MaxSizePerMsg:            1 << 20,
			MaxCommittedSizePerReady: 64 << 20,
			MaxInflightMsgs:          256,
			PreVote:                  true,
			// A leader cut off from a quorum steps down after an
			// election timeout instead of accepting writes it cannot
			// commit.
			CheckQuorum: opts.Cluster != nil,
			// A leader removed from the group stops leading at once
			// rather than lead a group it is not part of.
			StepDownOnRemoval: true,
			Logger:            raftLogger{l: l.logger.With("component", "raft")},
		})
	}
	if err == nil && opts.Cluster == nil {
		// A group of one elects itself at once; the new leader's empty
		// entry commits every entry before it, so the whole log replays.
		err = l.rn.Campaign()
	}
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("commit log %s: %w", opts.Dir, err), w.close())
	}
	l.held = min(cp.applied(), cp.Index+uint64(len(rec.entries)))
	l.applied.Store(l.held)
	target := cp.Index + uint64(len(rec.entries)) + 1 // the leader's empty entry
	if opts.Cluster != nil {
		// Only what this node knows to be committed; the rest waits for
		// a leader's word.
		target = max(l.held, min(rec.hardState.Commit, cp.Index+uint64(len(rec.entries))))
	}
	if n := cp.Index + uint64(len(rec.entries)) - l.held; n > 0 {
		l.logger.Info("replaying commit log", "from", l.held+1, "entries", n)
	}
	if opts.Cluster != nil && opts.Cluster.Attach != nil {
		opts.Cluster.Attach(l)
	}
	l.replaying.Store(opts.Cluster != nil)
	go l.run()
	go l.applyLoop()
	for l.applied.Load() < target {
		if err := l.err(); err != nil {
			return nil, nil, errors.Join(err, l.Close())
		}
		time.Sleep(time.Millisecond)
	}
	l.replaying.Store(false)
	r := &Recovery{Checkpoint: cp, TornBytes: rec.tornBytes, Duration: time.Since(start)}
	for _, e := range rec.entries {
		if pb.EntryType(e.Type) == pb.EntryNormal && len(e.Data) > HeaderLen && e.Index > l.held {
			r.Replayed++
		}
	}
	if cp.Index+uint64(len(rec.entries)) > l.held {
		l.logger.Info("commit log replayed", "entries", r.Replayed, "duration", r.Duration)
	}
	return l, r, nil
}

func toPB(ents []walEntry) []*pb.Entry {
	out := make([]*pb.Entry, len(ents))
	for i, e := range ents {
		out[i] = &pb.Entry{Index: new(e.Index), Term: new(e.Term), Type: pb.EntryType(e.Type).Enum(), Data: e.Data}
	}
	return out
}

func fromPB(ents []*pb.Entry) []walEntry {
	out := make([]walEntry, len(ents))
	for i, e := range ents {
		out[i] = walEntry{Index: e.GetIndex(), Term: e.GetTerm(), Type: byte(e.GetType()), Data: e.GetData()}
	}
	return out
}

// Propose appends data as one entry and returns once it is durable in the
// log and applied. data[:HeaderLen] is overwritten by the log; the rest
// must not change afterwards. All concurrent proposals that reach the log
// while it is writing share its next write and fsync.
func (l *Log) Propose(data []byte) error {
	wait, err := l.Enqueue(data)
	if err != nil {
		return err
	}
	return wait()
}

// Enqueue queues data as the next proposal and returns the function that
// waits for its outcome, as Propose does. Proposals reach raft in the
// order of their Enqueue calls, so their entries are in that order in
// the log: a caller that assigns an order (commit timestamps) and
// enqueues under one lock gets the log in that order.
func (l *Log) Enqueue(data []byte) (wait func() error, err error) {
	if len(data) <= HeaderLen {
		return nil, errors.New("commit log: empty proposal")
	}
	if len(data) > MaxProposal {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), MaxProposal)
	}
	l.mu.Lock()
	if l.failErr != nil {
		err := l.failErr
		l.mu.Unlock()
		return nil, err
	}
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	if !l.writable() {
		l.mu.Unlock()
		return nil, ErrNotLeader
	}
	l.nextID++
	start := time.Now()
	// The raft id in the top bits keeps ids unique across nodes: an entry
	// proposed elsewhere never wakes a waiter here.
	p := &proposal{id: l.id<<48 | l.nextID&(1<<48-1), data: data, done: make(chan error, 1)}
	binary.BigEndian.PutUint64(data, p.id)
	l.waiters[p.id] = p
	l.props = append(l.props, p)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return func() error {
		err := <-p.done
		l.w.counters.commit.observe(time.Since(start))
		return err
	}, nil
}

// Applied returns the highest index that Apply has returned for.
func (l *Log) Applied() uint64 { return l.applied.Load() }

// Checkpoint records that the application state durably holds every
// entry up to index (at most Applied), and deletes the log segments below
// it. The caller must have made its state durable (fsync) first.
func (l *Log) Checkpoint(index uint64) error {
	if index > l.Applied() {
		return fmt.Errorf("checkpoint %d above the applied index %d", index, l.Applied())
	}
	if c := l.opts.Cluster; c != nil {
		// Keep entries for followers that lag: the leader keeps what
		// some member lacks, every node the last Retain entries, since a
		// follower too far behind needs a snapshot (a copy of the whole
		// store). A lower checkpoint is always safe: it only replays
		// more (applying is idempotent, and entries are in timestamp
		// order, see internal/storage's DESIGN.md).
		// What the state holds is recorded all the same (Applied): a
		// restart applies only the entries after it.
		applied := index
		retain := cmp.Or(c.Retain, 100000)
		index = 0
		if applied > retain {
			index = min(applied-retain, l.minPeerMatch())
		}
		cur := l.checkpointRecord()
		if index <= cur.Index {
			if applied <= cur.applied() {
				return nil
			}
			cur.Applied = applied
			if err := l.w.setCheckpoint(cur); err != nil {
				return fmt.Errorf("checkpoint %d: %w", applied, err)
			}
			return nil
		}
		return l.truncateAt(index, applied)
	}
	return l.truncateAt(index, index)
}

// checkpointRecord returns the last checkpoint recorded.
func (l *Log) checkpointRecord() Checkpoint {
	l.w.mu.Lock()
	defer l.w.mu.Unlock()
	return l.w.cp
}

// truncateAt records a checkpoint at index with the state holding every
// entry up to applied, and deletes the log below index.
func (l *Log) truncateAt(index, applied uint64) error {
	term, err := l.storage.Term(index)
	if errors.Is(err, raft.ErrCompacted) {
		return nil // an older checkpoint already covers it
	}
	if err != nil {
		return fmt.Errorf("checkpoint %d: %w", index, err)
	}
	cp := Checkpoint{Index: index, Term: term, Applied: applied}
	if l.opts.Cluster != nil {
		cp.Conf = l.confAtIndex(index)
	}
	if err := l.w.setCheckpoint(cp); err != nil {
		return fmt.Errorf("checkpoint %d: %w", index, err)
	}
	// raft's snapshot is the checkpoint: a peer that needs entries
	// below it is sent a snapshot (see snapshot.go), whose metadata
	// starts from this one.
	if _, err := l.storage.CreateSnapshot(index, l.confAt(index), nil); err != nil && !errors.Is(err, raft.ErrSnapOutOfDate) {
		return fmt.Errorf("checkpoint %d: %w", index, err)
	}
	if err := l.storage.Compact(index); err != nil && !errors.Is(err, raft.ErrCompacted) {
		return fmt.Errorf("checkpoint %d: %w", index, err)
	}
	return nil
}

// CheckpointIndex returns the index of the last checkpoint: the log
// starts after it.
func (l *Log) CheckpointIndex() uint64 { return l.checkpointRecord().Index }

// CheckpointApplied returns the last entry the last checkpoint says the
// state durably holds (CheckpointIndex or above).
func (l *Log) CheckpointApplied() uint64 { return l.checkpointRecord().applied() }

// Close stops the log after the entries already handed to Apply are
// applied; proposals still waiting fail with ErrClosed. It does not take
// a checkpoint: the caller does, once its state is durable.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.runDone
	close(l.applyCh)
	<-l.appDone
	l.failAll(ErrClosed)
	return l.w.close()
}

func (l *Log) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failErr
}

// fail stops the log for good: every waiting proposal gets ErrFailed.
func (l *Log) fail(err error) {
	l.mu.Lock()
	if l.failErr == nil {
		l.failErr = fmt.Errorf("%w: %v", ErrFailed, err)
		l.logger.Error("commit log failed", "err", err)
	}
	err = l.failErr
	l.mu.Unlock()
	l.failAll(err)
}

func (l *Log) failAll(err error) {
	l.mu.Lock()
	ws := l.waiters
	l.waiters = make(map[uint64]*proposal)
	l.props = nil
	l.mu.Unlock()
	for _, p := range ws {
		p.done <- err
	}
}

// failProposed answers every proposal handed to raft with
// ErrUnknownOutcome: this node stopped leading, and what it proposed may
// be committed by the next leader or overwritten.
func (l *Log) failProposed() {
	l.mu.Lock()
	var ps []*proposal
	for id, p := range l.waiters {
		if p.proposed {
			ps = append(ps, p)
			delete(l.waiters, id)
		}
	}
	l.mu.Unlock()
	if len(ps) > 0 {
		l.logger.Warn("lost leadership with commits in flight; their outcome is unknown", "commits", len(ps))
	}
	for _, p := range ps {
		p.done <- ErrUnknownOutcome
	}
}

// step hands a peer's message to raft. Raft refuses messages from
// unknown peers and stale terms with an error that needs no action.
func (l *Log) step(m *pb.Message) {
	l.noteLeaderContact(m)
	if err := l.rn.Step(m); err != nil {
		l.logger.Debug("raft refused a message", "from", m.GetFrom(), "type", m.GetType().String(), "err", err)
	}
}

func (l *Log) finish(id uint64, err error) {
	l.mu.Lock()
	p := l.waiters[id]
	delete(l.waiters, id)
	l.mu.Unlock()
	if p != nil {
		p.done <- err
	}
}

// run owns the RawNode: it hands proposals to raft, persists what raft
// asks to persist, and passes committed entries to the apply goroutine.
func (l *Log) run() {
	defer close(l.runDone)
	tick := time.NewTicker(l.opts.TickInterval)
	defer tick.Stop()
	for {
		if err := l.handleReady(); err != nil {
			l.fail(err)
			return
		}
		select {
		case <-l.stop:
			return
		case <-tick.C:
			if !l.replaying.Load() {
				l.rn.Tick()
			}
		case m := <-l.recv:
			l.step(m)
			// Take what else arrived: one Ready for all of them.
			for n := 0; n < 256; n++ {
				select {
				case m := <-l.recv:
					l.step(m)
					continue
				default:
				}
				break
			}
		case f := <-l.ops:
			f(l.rn)
		case <-l.wake:
		}
		l.mu.Lock()
		props := l.props
		l.props = nil
		for _, p := range props {
			p.proposed = true
		}
		l.mu.Unlock()
		for _, p := range props {
			if err := l.rn.Propose(p.data); err != nil {
				// Dropped by raft (no longer leader): never in the log,
				// a definite refusal.
				if errors.Is(err, raft.ErrProposalDropped) {
					err = ErrNotLeader
				}
				l.finish(p.id, fmt.Errorf("commit log: propose: %w", err))
			}
		}
	}
}

// handleReady processes raft's Ready structs in the order raft requires:
// entries and hard state are written (and fsynced when raft says so)
// before anything is sent or applied.
//
// Group commit: every proposal taken since the last Ready lands in one
// Ready, so one write and one fsync cover them all, while the next group
// gathers behind it.
func (l *Log) handleReady() error {
	for l.rn.HasReady() {
		rd := l.rn.Ready()
		var hs *hardState
		// A hard state that changed only its commit index (MustSync is
		// false and no entries come with it) is not written: raft does not
		// need the commit index to be durable (a restarted node learns it
		// again from its leader, and a group of one commits its whole log
		// with its first entry as leader), and skipping it saves a write
		// between every two group fsyncs.
		if !raft.IsEmptyHardState(rd.HardState) && (rd.MustSync || len(rd.Entries) > 0) {
			hs = &hardState{Term: rd.HardState.GetTerm(), Vote: rd.HardState.GetVote(), Commit: rd.HardState.GetCommit()}
		}
		// A snapshot first (raft's order: its entries follow it). Its
		// data is in the application's state already (InstallSnapshot).
		if !raft.IsEmptySnap(rd.Snapshot) {
			if l.opts.Cluster == nil {
				return fmt.Errorf("commit log: a single node received a snapshot at index %d", rd.Snapshot.GetMetadata().GetIndex())
			}
			if err := l.restoreSnapshot(rd.Snapshot); err != nil {
				return err
			}
		}
		if err := l.w.save(hs, fromPB(rd.Entries), rd.MustSync); err != nil {
			return err
		}
		if err := l.storage.Append(rd.Entries); err != nil {
			return fmt.Errorf("commit log: %w", err)
		}
		if rd.HardState != nil {
			if err := l.storage.SetHardState(rd.HardState); err != nil {
				return fmt.Errorf("commit log: %w", err)
			}
		}
		if lostLead := l.observeRole(lastIndex(l.storage)); lostLead {
			l.failProposed()
		}
		l.deliverReads(rd.ReadStates)
		// Messages go to the other voters only now, after the write
		// above: raft requires the entries and vote to be durable before
		// a peer hears of them. A group of one has none.
		if len(rd.Messages) > 0 && l.opts.Cluster != nil {
			l.opts.Cluster.Send(rd.Messages)
		}
		if n := len(rd.CommittedEntries); n > 0 {
			// Never apply what is not durable in the local log (etcd issue
			// 14370). Raft commits an entry of a one-voter group only once
			// its append is acknowledged by Advance, so this holds; checked
			// because the cluster's commit rule will differ.
			if last, durable := rd.CommittedEntries[n-1].GetIndex(), l.w.durableIndex(); last > durable {
				return fmt.Errorf("commit log: entry %d committed before it is durable (durable up to %d)", last, durable)
			}
			select {
			case l.applyCh <- rd.CommittedEntries:
			case <-l.stop:
				return nil
			}
			// Membership changes take effect once committed; the apply
			// goroutine skips their entries.
			if l.opts.Cluster != nil {
				if err := l.applyConfChanges(rd.CommittedEntries); err != nil {
					return err
				}
			}
		}
		l.rn.Advance(rd)
	}
	return nil
}

// applyLoop applies committed entries in log order and wakes their
// proposers.
func (l *Log) applyLoop() {
	defer close(l.appDone)
	for ents := range l.applyCh {
		batch := make([]Entry, 0, len(ents))
		var ids []uint64
		for _, e := range ents {
			d := e.GetData()
			if e.GetType() != pb.EntryNormal || len(d) <= HeaderLen || e.GetIndex() <= l.held {
				continue
			}
			ids = append(ids, binary.BigEndian.Uint64(d))
			batch = append(batch, Entry{Index: e.GetIndex(), Term: e.GetTerm(), Data: d[HeaderLen:]})
		}
		err := l.err()
		if err == nil && len(batch) > 0 {
			start := time.Now()
			aerr := l.opts.Apply(batch)
			l.w.counters.apply.observe(time.Since(start))
			if aerr != nil {
				l.fail(fmt.Errorf("apply entries %d-%d: %w", batch[0].Index, batch[len(batch)-1].Index, aerr))
				err = l.err()
			}
		}
		if err == nil {
			l.raiseApplied(ents[len(ents)-1].GetIndex())
		}
		for _, id := range ids {
			l.finish(id, err)
		}
	}
}

// raftLogger routes raft's logging into slog. Raft is chatty at info
// (elections, which a group of one holds at every start), so that goes
// to debug.
type raftLogger struct{ l *slog.Logger }

func (r raftLogger) Debug(v ...any)              { r.l.Debug(fmt.Sprint(v...)) }
func (r raftLogger) Debugf(f string, v ...any)   { r.l.Debug(fmt.Sprintf(f, v...)) }
func (r raftLogger) Info(v ...any)               { r.l.Debug(fmt.Sprint(v...)) }
func (r raftLogger) Infof(f string, v ...any)    { r.l.Debug(fmt.Sprintf(f, v...)) }
func (r raftLogger) Warning(v ...any)            { r.l.Warn(fmt.Sprint(v...)) }
func (r raftLogger) Warningf(f string, v ...any) { r.l.Warn(fmt.Sprintf(f, v...)) }
func (r raftLogger) Error(v ...any)              { r.l.Error(fmt.Sprint(v...)) }
func (r raftLogger) Errorf(f string, v ...any)   { r.l.Error(fmt.Sprintf(f, v...)) }
func (r raftLogger) Fatal(v ...any)              { r.Panic(v...) }
func (r raftLogger) Fatalf(f string, v ...any)   { r.Panicf(f, v...) }
func (r raftLogger) Panic(v ...any)              { s := fmt.Sprint(v...); r.l.Error(s); panic(s) }
func (r raftLogger) Panicf(f string, v ...any)   { s := fmt.Sprintf(f, v...); r.l.Error(s); panic(s) }
