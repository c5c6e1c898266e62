package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/storage"
)

// Verify reads a whole backup file and checks its signature, trailer and
// SHA-256 checksum, then parses its manifest. It returns the manifest with
// the trailer's totals. It does not parse the records: a bit flipped
// anywhere is reported as a checksum mismatch, not as whatever the flipped
// byte happens to break.
//
// The records of an encrypted backup are authenticated only by VerifyKey:
// Verify checks its checksum and header, which need no key.
func Verify(ctx context.Context, path string) (Manifest, error) {
	return verify(ctx, path, nil, nil)
}

// VerifyKey is Verify that also decrypts the record section of an
// encrypted backup with key, so that a wrong key (ErrWrongKey) or a
// changed chunk fails here, before anything is restored. With a nil key
// it is Verify.
func VerifyKey(ctx context.Context, path string, key *encryption.Key) (Manifest, error) {
	return verify(ctx, path, key, nil)
}

func verify(ctx context.Context, path string, key *encryption.Key, onRead func(int64)) (Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Manifest{}, fmt.Errorf("backup file %s: %w", path, err)
	}
	if fi.IsDir() {
		return Manifest{}, fmt.Errorf("backup file %s: is a directory", path)
	}
	size := fi.Size()
	sig := make([]byte, len(magic))
	n, _ := io.ReadFull(f, sig)
	if !bytes.Equal(sig[:n], magic[:n]) || n == 0 {
		return Manifest{}, ErrForeign
	}
	if n < len(magic) || size < int64(len(magic)+4+1+trailerLen) {
		return Manifest{}, ErrTruncated
	}
	tail := make([]byte, trailerLen)
	if _, err := f.ReadAt(tail, size-trailerLen); err != nil {
		return Manifest{}, fmt.Errorf("backup file %s: %w", path, err)
	}
	t, err := parseTrailer(tail)
	if err != nil {
		return Manifest{}, err
	}
	if t.fileBytes > uint64(size) {
		return Manifest{}, ErrTruncated
	}
	if t.fileBytes != uint64(size) {
		return Manifest{}, fmt.Errorf("%w: its trailer records %d bytes, the file has %d", ErrCorrupt, t.fileBytes, size)
	}
	h := sha256.New()
	r := io.Reader(io.NewSectionReader(f, 0, size-sha256.Size))
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return Manifest{}, err
		}
		n, err := r.Read(buf)
		h.Write(buf[:n])
		if onRead != nil {
			onRead(int64(n))
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Manifest{}, fmt.Errorf("backup file %s: %w", path, err)
		}
	}
	if onRead != nil {
		onRead(sha256.Size)
	}
	if !bytes.Equal(h.Sum(nil), t.sum[:]) {
		return Manifest{}, ErrChecksum
	}
	m, headerLen, err := readHeader(io.NewSectionReader(f, 0, size))
	if err != nil {
		return Manifest{}, err
	}
	if m.Encryption != nil && key != nil {
		if err := checkKey(m, key); err != nil {
			return Manifest{}, err
		}
		// Every chunk is authenticated now, so that a restore fails
		// before it writes anything.
		sr, err := decryptSection(io.NewSectionReader(f, headerLen, size-headerLen-trailerLen), m, key)
		if err != nil {
			return Manifest{}, err
		}
		if _, err := io.Copy(io.Discard, &ctxReader{ctx: ctx, r: sr}); err != nil {
			return Manifest{}, sectionError(err)
		}
	}
	if int64(t.records) != m.Keys || int64(t.puts) != m.ChangedKeys {
		return Manifest{}, fmt.Errorf("%w: the manifest announces %d keys, the trailer counts %d", ErrCorrupt, m.Keys, t.records)
	}
	m.fillTrailer(t)
	return m, nil
}

// ctxReader stops a long read when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// CheckChain reports whether manifests, in order, are one full backup
// followed by incrementals each built on the one before it.
func CheckChain(files []string, ms []Manifest) error {
	for i, m := range ms {
		if m.StorageFormatVersion > storage.FormatVersion {
			return fmt.Errorf("%s: data format version %d, this build reads up to %d: %w", files[i], m.StorageFormatVersion, storage.FormatVersion, storage.ErrNewerFormat)
		}
		if i == 0 {
			if m.Incremental() {
				return fmt.Errorf("%w: %s is an incremental backup (since timestamp %d): the first file must be a full backup", ErrChain, files[i], m.SinceTs)
			}
			continue
		}
		prev := ms[i-1]
		if !m.Incremental() {
			return fmt.Errorf("%w: %s is a full backup: give one full backup, then its incrementals in order", ErrChain, files[i])
		}
		if m.SinceTs != prev.SnapshotTs || (m.BaseID != "" && m.BaseID != prev.ID) {
			return fmt.Errorf("%w: %s was taken since backup %s (timestamp %d), but the file before it, %s, is backup %s (timestamp %d)",
				ErrChain, files[i], orUnknown(m.BaseID), m.SinceTs, files[i-1], prev.ID, prev.SnapshotTs)
		}
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(unnamed)"
	}
	return s
}
