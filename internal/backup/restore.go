package backup

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/storage"
)

// Errors of Restore besides the file errors of format.go.
var (
	// ErrTargetNotEmpty: restores go into an empty or missing directory only.
	ErrTargetNotEmpty = errors.New("restore target is not empty")
	// ErrChain: the files do not form one full backup followed by its
	// incrementals in order.
	ErrChain = errors.New("backup files do not form a chain")
)

// RestoreOptions configures Restore.
type RestoreOptions struct {
	// Progress, when set, is called with the bytes read so far and the
	// total: every file is read twice (verified, then applied).
	Progress func(done, total int64)
	// Logger receives Badger's messages; nil discards them.
	Logger *slog.Logger
	// Key is the master key: it decrypts encrypted backups, and the
	// restored directory is encrypted with it. nil: plaintext backups
	// only, and a plaintext directory. A plaintext backup restored with a
	// key gives an encrypted directory: the way to turn encryption on.
	Key *encryption.Key
}

// Restore builds a new data directory at dataDir from files: one full
// backup, then, optionally, incrementals in the order they were taken.
// dataDir must be empty or missing (its parent must exist). Every file is
// verified (checksum, manifest, chain) before anything is written; the
// directory is then built in a temporary sibling and renamed into place
// only when complete, so a failure or cancellation never leaves a
// half-restored dataDir. It returns the manifest of the last file applied:
// the restored directory holds exactly the transactions committed at or
// below its SnapshotTs.
func Restore(ctx context.Context, dataDir string, files []string, opts RestoreOptions) (Manifest, error) {
	if len(files) == 0 {
		return Manifest{}, errors.New("restore: no backup file given")
	}
	target, existed, err := checkTarget(dataDir)
	if err != nil {
		return Manifest{}, err
	}
	var total, done int64
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return Manifest{}, fmt.Errorf("backup file: %w", err)
		}
		total += 2 * fi.Size()
	}
	onRead := func(n int64) {
		done += n
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
	ms := make([]Manifest, len(files))
	for i, f := range files {
		if m, err := ReadManifestFile(f); err != nil {
			return Manifest{}, err
		} else if err := checkKey(m, opts.Key); err != nil {
			return Manifest{}, fmt.Errorf("%s: %w", f, err)
		}
		if ms[i], err = verify(ctx, f, opts.Key, onRead); err != nil {
			return Manifest{}, fmt.Errorf("%s: %w", f, err)
		}
	}
	if err := CheckChain(files, ms); err != nil {
		return Manifest{}, err
	}

	tmp, err := os.MkdirTemp(filepath.Dir(target), "."+filepath.Base(target)+".restore-")
	if err != nil {
		return Manifest{}, fmt.Errorf("restore: temporary directory: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = os.RemoveAll(tmp)
		}
	}()
	l, err := storage.NewLoader(tmp, opts.Key, opts.Logger)
	if err != nil {
		return Manifest{}, err
	}
	for i, f := range files {
		if ms[i].Incremental() && ms[i].SnapshotTs == ms[i].SinceTs {
			// Nothing was committed between the base and this snapshot
			// (an idle server's nightly incremental): the state is the
			// base's, and a layer at the same timestamp could not be
			// told apart from it.
			continue
		}
		if err := apply(ctx, l, f, ms[i], opts.Key, onRead); err != nil {
			l.Abort()
			return Manifest{}, fmt.Errorf("restore %s: %w", f, err)
		}
	}
	if err := l.Close(); err != nil {
		return Manifest{}, err
	}
	// Open the result the way check and offline backup do: a restore that
	// a server could not open is not finished.
	st, err := storage.OpenReadOnlyKey(tmp, opts.Key, opts.Logger)
	if err != nil {
		return Manifest{}, fmt.Errorf("restore: the restored directory does not open: %w", err)
	}
	if err := st.Close(); err != nil {
		return Manifest{}, fmt.Errorf("restore: %w", err)
	}
	if existed {
		// rename(2) would replace an empty directory too, but not on every
		// platform; Remove fails if something appeared in it meanwhile.
		if err := os.Remove(target); err != nil {
			return Manifest{}, fmt.Errorf("restore: %w: %w", ErrTargetNotEmpty, err)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return Manifest{}, fmt.Errorf("restore: move into place: %w", err)
	}
	committed = true
	syncDir(filepath.Dir(target))
	return ms[len(ms)-1], nil
}

// checkTarget returns the absolute target and whether it exists; it must
// be an empty directory or missing with an existing parent.
func checkTarget(dataDir string) (string, bool, error) {
	if dataDir == "" {
		return "", false, errors.New("restore: no data directory given")
	}
	target, err := filepath.Abs(dataDir)
	if err != nil {
		return "", false, fmt.Errorf("restore: %w", err)
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, os.ErrNotExist):
		parent := filepath.Dir(target)
		if pfi, err := os.Stat(parent); err != nil || !pfi.IsDir() {
			return "", false, fmt.Errorf("restore: parent directory %s of %s does not exist", parent, target)
		}
		return target, false, nil
	case err != nil:
		return "", false, fmt.Errorf("restore: %w", err)
	case !fi.IsDir():
		return "", false, fmt.Errorf("restore: %s is not a directory", target)
	}
	ents, err := os.ReadDir(target)
	if err != nil {
		return "", false, fmt.Errorf("restore: %w", err)
	}
	if len(ents) > 0 {
		return "", false, fmt.Errorf("%w: %s holds %d entries (restore only into an empty or new directory)", ErrTargetNotEmpty, target, len(ents))
	}
	return target, true, nil
}

// syncDir makes a rename durable; failure only weakens crash safety.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// apply writes one verified file into the loader as a layer at its
// snapshot timestamp. An incremental is merged against the keys restored
// so far: keys it lists by name stay, keys it carries are replaced, and
// keys it does not list were deleted after the base.
func apply(ctx context.Context, l *storage.Loader, path string, want Manifest, key *encryption.Key, onRead func(int64)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	hr := &hashingReader{r: bufio.NewReaderSize(&progressReader{r: f, onRead: onRead}, 256<<10), h: sha256.New()}
	m, headerLen, err := readHeader(hr)
	if err != nil {
		return err
	}
	if m.ID != want.ID {
		return fmt.Errorf("%w: the file changed after it was verified", ErrCorrupt)
	}
	bodyLen := want.FileBytes - headerLen - trailerLen
	if bodyLen <= 0 {
		return fmt.Errorf("%w: no room for records", ErrCorrupt)
	}
	raw := io.LimitReader(hr, bodyLen)
	body, err := decryptSection(raw, m, key)
	if err != nil {
		return err
	}
	// One goroutine (decoding is synchronous then); the window bound keeps
	// a hostile frame header from reserving gigabytes.
	dec, err := zstd.NewReader(body, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(64<<20))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	defer dec.Close()
	rr := newRecordReader(dec)
	if err := l.BeginLayer(m.SnapshotTs); err != nil {
		return err
	}
	var prev *storage.KeyIterator
	if m.Incremental() {
		prev = l.PreviousKeys()
		defer prev.Close()
	}
	deletePrevBefore := func(key []byte) error {
		for prev.Valid() && (key == nil || bytes.Compare(prev.Key(), key) < 0) {
			if err := l.Delete(append([]byte(nil), prev.Key()...)); err != nil {
				return err
			}
			prev.Next()
		}
		return nil
	}
	var last []byte
	var records, puts uint64
	for {
		rec, err := rr.next()
		if err != nil {
			return err
		}
		if rec.tag == tagEnd {
			break
		}
		if records++; records%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if last != nil && bytes.Compare(rec.key, last) <= 0 {
			return fmt.Errorf("%w: keys out of order at record %d", ErrCorrupt, records)
		}
		last = rec.key
		inBase := false
		if prev != nil {
			if err := deletePrevBefore(rec.key); err != nil {
				return err
			}
			if prev.Valid() && bytes.Equal(prev.Key(), rec.key) {
				inBase = true
				prev.Next()
			}
		}
		switch {
		case rec.tag == tagPut:
			puts++
			err = l.Set(rec.key, rec.value)
		case prev == nil:
			return fmt.Errorf("%w: a full backup lists key %q without its value", ErrCorrupt, rec.key)
		case !inBase:
			return fmt.Errorf("%w: key %q is unchanged since the base, but the restored base does not have it: this incremental was not taken from the same data", ErrChain, rec.key)
		}
		if err != nil {
			return err
		}
	}
	if prev != nil {
		if err := deletePrevBefore(nil); err != nil {
			return err
		}
	}
	n, err := io.Copy(io.Discard, body)
	if err != nil {
		return sectionError(err)
	}
	if n != 0 {
		return fmt.Errorf("%w: %d bytes after the records", ErrCorrupt, n)
	}
	if n, _ := io.Copy(io.Discard, raw); n != 0 {
		return fmt.Errorf("%w: %d bytes after the encrypted records", ErrCorrupt, n)
	}
	counters := make([]byte, trailerLen-sha256.Size)
	if err := readFull(hr, counters); err != nil {
		return err
	}
	sum := hr.h.Sum(nil)
	stored := make([]byte, sha256.Size)
	if err := readFull(hr, stored); err != nil {
		return err
	}
	t, err := parseTrailer(append(counters, stored...))
	if err != nil {
		return err
	}
	if !bytes.Equal(sum, stored) || hex.EncodeToString(sum) != want.SHA256 {
		return fmt.Errorf("%w: the file changed after it was verified", ErrChecksum)
	}
	if t.records != records || t.puts != puts {
		return fmt.Errorf("%w: %d records read, the trailer counts %d", ErrCorrupt, records, t.records)
	}
	return nil
}

// progressReader reports bytes read.
type progressReader struct {
	r      io.Reader
	onRead func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if p.onRead != nil {
		p.onRead(int64(n))
	}
	return n, err
}
