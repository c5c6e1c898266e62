package backup

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/storage"
)

// Options configures Write.
type Options struct {
	// Since makes the backup incremental: the SnapshotTs of the backup it
	// builds on. 0 writes a full backup.
	Since uint64
	// BaseID is the ID of the backup Since comes from. Optional, but with
	// it a restore refuses a chain whose base is another backup taken at
	// the same timestamp (of another server, or of this one again). Write
	// refuses a malformed ID and an ID without Since (ErrInvalidBase).
	BaseID string
	// SourceVersion is the guocedb version recorded in the manifest.
	SourceVersion string
	// Progress, when set, is called as keys are written with the number
	// written and the total (known from the start: the snapshot's key
	// count). It runs on the writing goroutine; keep it cheap.
	Progress func(done, total int64)
}

// Errors Write returns for a base that cannot be the one of this backup.
var (
	// ErrInvalidBase: Options name a base that is no backup: a malformed
	// BaseID, or a BaseID without Since. The request is wrong whatever
	// the data.
	ErrInvalidBase = errors.New("incremental backup: invalid base")
	// ErrBaseAhead: Since is above the data's latest commit, so the base
	// is a backup of other data (or of this data before it was restored
	// from an older backup).
	ErrBaseAhead = errors.New("incremental backup: the base is newer than this data")
)

// idLen is the length of a backup ID: 128 bits in lowercase hex.
const idLen = 32

// progressEvery bounds how often Progress is called.
const progressEvery = 4096

// Write streams a consistent snapshot of store to w in the backup format
// (docs/backup-format.md) and returns its manifest with the trailer's
// totals. The store keeps serving reads and writes meanwhile: the snapshot
// is pinned at the latest fully committed timestamp, like a transaction's,
// and held until the stream ends, so garbage collection keeps its versions
// however slow w is. The backup holds exactly the transactions committed at
// or below Manifest.SnapshotTs.
//
// With opts.Since, the backup is incremental: it carries the values of the
// keys written after Since and lists every other live key by name only, so
// that a restore also deletes what was deleted since the base (see
// DESIGN.md for why deletions are not taken from Badger's tombstones).
//
// On error, what was written to w is not a valid backup (it has no
// trailer): the caller discards it.
func Write(ctx context.Context, store *storage.Store, w io.Writer, opts Options) (Manifest, error) {
	if err := opts.checkBase(); err != nil {
		return Manifest{}, err
	}
	sn, err := store.Snapshot(ctx)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer sn.Close()
	if opts.Since > sn.Ts() {
		return Manifest{}, fmt.Errorf("%w (base taken at timestamp %d, this data's latest commit is %d): it is not a backup of this data", ErrBaseAhead, opts.Since, sn.Ts())
	}
	fv, err := store.FormatVersionOnDisk()
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	id, err := newID()
	if err != nil {
		return Manifest{}, err
	}
	m := Manifest{
		FormatVersion:        FormatVersion,
		ID:                   id,
		SourceVersion:        opts.SourceVersion,
		StorageFormatVersion: fv,
		CreatedAt:            time.Now().UTC().Truncate(time.Millisecond),
		SnapshotTs:           sn.Ts(),
		SinceTs:              opts.Since,
		LogIndex:             sn.LogIndex(),
		Compression:          compressionZstd,
	}
	m.BaseID = opts.BaseID // "" for a full backup: checkBase
	changed := func(e storage.SnapshotEntry) bool { return opts.Since == 0 || e.Version() > opts.Since }

	// A first pass over keys only (no value reads) counts what the second
	// pass will write: the manifest in the header gets exact counts and
	// progress gets its total. Both passes read the same snapshot.
	if err := sn.Scan(ctx, func(e storage.SnapshotEntry) error {
		m.Keys++
		if changed(e) {
			m.ChangedKeys++
		}
		return nil
	}); err != nil {
		return Manifest{}, fmt.Errorf("backup: count keys: %w", err)
	}

	cw := &countingWriter{w: w}
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(cw, h), 256<<10)
	// The records are compressed, then encrypted (compressed ciphertext
	// would not shrink).
	var section io.Writer = bw
	var sw *encryption.StreamWriter
	if key := store.EncryptionKey(); key != nil {
		enc, err := encryptSection(bw, key, &m)
		if err != nil {
			return Manifest{}, err
		}
		section, sw = enc, enc
	}
	header, err := json.Marshal(m)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: manifest: %w", err)
	}
	bw.Write(magic)
	bw.Write(binary.BigEndian.AppendUint32(nil, uint32(len(header))))
	bw.Write(header)
	// One encoder goroutine: an online backup shares the CPUs with the
	// server it copies.
	zw, err := zstd.NewWriter(section, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer zw.Close()
	rw := bufio.NewWriterSize(zw, 256<<10)

	var t trailer
	var scratch []byte
	report := func() {
		if opts.Progress != nil {
			opts.Progress(int64(t.records), m.Keys)
		}
	}
	report()
	err = sn.Scan(ctx, func(e storage.SnapshotEntry) error {
		k := e.Key()
		scratch = scratch[:0]
		if changed(e) {
			v, err := e.Value()
			if err != nil {
				return err
			}
			scratch = append(scratch, tagPut)
			scratch = binary.AppendUvarint(scratch, uint64(len(k)))
			scratch = append(scratch, k...)
			scratch = binary.AppendUvarint(scratch, uint64(len(v)))
			rw.Write(scratch)
			rw.Write(v)
			t.puts++
			t.valueBytes += uint64(len(v))
		} else {
			scratch = append(scratch, tagKeep)
			scratch = binary.AppendUvarint(scratch, uint64(len(k)))
			scratch = append(scratch, k...)
			rw.Write(scratch)
		}
		t.keyBytes += uint64(len(k))
		if t.records++; t.records%progressEvery == 0 {
			report()
		}
		// bufio keeps the first write error (of the encoder, of w) and
		// returns it from every later call: checking here stops a broken
		// stream early.
		_, werr := rw.Write(nil)
		return werr
	})
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if int64(t.records) != m.Keys || int64(t.puts) != m.ChangedKeys {
		return Manifest{}, fmt.Errorf("backup: the snapshot changed between passes (%d keys, then %d): this is a bug", m.Keys, t.records)
	}
	rw.WriteByte(tagEnd)
	if err := rw.Flush(); err != nil {
		return Manifest{}, fmt.Errorf("backup: write: %w", err)
	}
	if err := zw.Close(); err != nil {
		return Manifest{}, fmt.Errorf("backup: write: %w", err)
	}
	if sw != nil {
		if err := sw.Close(); err != nil {
			return Manifest{}, fmt.Errorf("backup: write: %w", err)
		}
	}
	t.fileBytes = uint64(cw.n) + uint64(bw.Buffered()) + trailerLen
	bw.Write(t.appendCounters(nil))
	if err := bw.Flush(); err != nil {
		return Manifest{}, fmt.Errorf("backup: write: %w", err)
	}
	copy(t.sum[:], h.Sum(nil))
	if _, err := cw.Write(t.sum[:]); err != nil {
		return Manifest{}, fmt.Errorf("backup: write: %w", err)
	}
	report()
	m.fillTrailer(t)
	return m, nil
}

func (m *Manifest) fillTrailer(t trailer) {
	m.KeyBytes = int64(t.keyBytes)
	m.ValueBytes = int64(t.valueBytes)
	m.FileBytes = int64(t.fileBytes)
	m.SHA256 = hex.EncodeToString(t.sum[:])
}

// checkBase refuses a BaseID that cannot name the base of this backup,
// before anything is read or written.
func (o Options) checkBase() error {
	switch {
	case o.BaseID == "":
		return nil
	case !validID(o.BaseID):
		return fmt.Errorf("%w: id %q is not a backup id (%d lowercase hex digits)", ErrInvalidBase, o.BaseID, idLen)
	case o.Since == 0:
		return fmt.Errorf("%w: id %s given without the base's snapshot timestamp", ErrInvalidBase, o.BaseID)
	}
	return nil
}

// validID reports whether s has the form of the IDs newID makes. Only
// lowercase: IDs are compared as strings when a chain is checked.
func validID(s string) bool {
	if len(s) != idLen {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func newID() (string, error) {
	var b [idLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("backup id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// countingWriter counts the bytes that reached w.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
