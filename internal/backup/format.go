package backup

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"
)

// FormatVersion is the version of the backup file format this build
// writes for a plaintext backup; it reads up to formatEncrypted
// (docs/backup-format.md).
const FormatVersion = 1

// magic opens every backup file. The high byte and the newline catch
// transfers that mangle binary files, as PNG's signature does.
var magic = []byte("\x89GUOCEDB BACKUP\n")

// endMagic opens the fixed-size trailer.
var endMagic = []byte("GCDB-END")

// compressionZstd names the record section's compression in the manifest.
const compressionZstd = "zstd"

// Record tags.
const (
	tagPut  = 'P' // key and value
	tagKeep = 'K' // key only: unchanged since the base (incrementals)
	tagEnd  = 'E' // no more records; the compressed section ends here
)

// Bounds a reader enforces, so a corrupt length never makes it allocate
// gigabytes: Badger's own key limit, and its largest value log entry.
const (
	maxManifestBytes = 1 << 20
	maxKeyBytes      = 65000
	maxValueBytes    = 1 << 30
)

// trailerLen is the size of the trailer: end magic, five counters and the
// SHA-256 of everything before the checksum itself.
const trailerLen = 8 + 5*8 + sha256.Size

// Errors a reader returns; the messages say what the user has.
var (
	// ErrForeign: the file does not start with a guocedb backup signature.
	ErrForeign = errors.New("not a guocedb backup file (wrong signature)")
	// ErrTruncated: the file ends before its trailer.
	ErrTruncated = errors.New("backup file is truncated (no complete end marker: the backup did not finish or the file was cut)")
	// ErrChecksum: the SHA-256 in the trailer does not match the content.
	ErrChecksum = errors.New("backup file is corrupted (SHA-256 checksum mismatch)")
	// ErrCorrupt: the content is malformed although its checksum matched
	// (a writer bug) or while it is being re-read.
	ErrCorrupt = errors.New("backup file is corrupted")
	// ErrNewerFormat: written by a newer guocedb.
	ErrNewerFormat = errors.New("backup file was written by a newer guocedb")
)

// Manifest describes a backup. The header carries every field without a
// "-" JSON tag; the trailer's totals are filled in by Write (as written)
// and Verify (as read), not by ReadManifest, which reads the header only.
type Manifest struct {
	// FormatVersion is the backup file format (FormatVersion).
	FormatVersion int `json:"format_version"`
	// ID identifies this backup; an incremental names its base's ID.
	ID string `json:"id"`
	// BaseID is the ID of the backup an incremental builds on ("" for a
	// full backup, or when the writer was given only a timestamp).
	BaseID string `json:"base_id,omitempty"`
	// SourceVersion is the guocedb version that wrote the backup.
	SourceVersion string `json:"source_version"`
	// StorageFormatVersion is the data directory's on-disk format.
	StorageFormatVersion uint64 `json:"storage_format_version"`
	// CreatedAt is when the snapshot was taken (UTC).
	CreatedAt time.Time `json:"created_at"`
	// SnapshotTs is the snapshot's timestamp: the backup holds exactly the
	// transactions committed at or below it.
	SnapshotTs uint64 `json:"snapshot_ts"`
	// SinceTs is the base backup's SnapshotTs for an incremental, 0 for a
	// full backup.
	SinceTs uint64 `json:"since_ts,omitempty"`
	// LogIndex is the commit log position of the snapshot: every log
	// entry up to it is in the backup (0: taken before the commit log).
	LogIndex uint64 `json:"log_index,omitempty"`
	// Keys is the number of live keys at the snapshot (records in the file).
	Keys int64 `json:"keys"`
	// Compression is how the record section is compressed ("zstd").
	Compression string `json:"compression"`
	// ChangedKeys is the number of keys whose value the file carries: all
	// of them in a full backup, those written after SinceTs in an
	// incremental.
	ChangedKeys int64 `json:"changed_keys"`
	// Encryption is set when the record section is encrypted (a backup
	// of an encrypted server; format version 2).
	Encryption *Encryption `json:"encryption,omitempty"`

	// KeyBytes and ValueBytes are the raw bytes of the keys and values
	// carried; FileBytes is the file's size; SHA256 its checksum (hex).
	KeyBytes   int64  `json:"-"`
	ValueBytes int64  `json:"-"`
	FileBytes  int64  `json:"-"`
	SHA256     string `json:"-"`
}

// Incremental reports whether the backup builds on another one.
func (m Manifest) Incremental() bool { return m.SinceTs != 0 }

// Kind returns "full" or "incremental".
func (m Manifest) Kind() string {
	if m.Incremental() {
		return "incremental"
	}
	return "full"
}

// trailer is the fixed-size end of a file.
type trailer struct {
	records, puts, keyBytes, valueBytes, fileBytes uint64
	sum                                            [sha256.Size]byte
}

func (t *trailer) appendCounters(dst []byte) []byte {
	dst = append(dst, endMagic...)
	for _, v := range []uint64{t.records, t.puts, t.keyBytes, t.valueBytes, t.fileBytes} {
		dst = binary.BigEndian.AppendUint64(dst, v)
	}
	return dst
}

func parseTrailer(b []byte) (trailer, error) {
	var t trailer
	if len(b) != trailerLen || !bytes.Equal(b[:len(endMagic)], endMagic) {
		return t, ErrTruncated
	}
	p := b[len(endMagic):]
	for _, v := range []*uint64{&t.records, &t.puts, &t.keyBytes, &t.valueBytes, &t.fileBytes} {
		*v = binary.BigEndian.Uint64(p)
		p = p[8:]
	}
	copy(t.sum[:], p)
	return t, nil
}

// ReadManifest reads the header of a backup: signature and manifest. It
// does not verify the checksum (Verify does); it is what an incremental
// backup reads of its base.
func ReadManifest(r io.Reader) (Manifest, error) {
	m, _, err := readHeader(r)
	return m, err
}

// readHeader reads exactly the header from r and returns the manifest and
// the header's length in bytes.
func readHeader(r io.Reader) (Manifest, int64, error) {
	var m Manifest
	sig := make([]byte, len(magic))
	n, err := io.ReadFull(r, sig)
	switch {
	case !bytes.Equal(sig[:n], magic[:n]) || n == 0:
		return m, 0, ErrForeign
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return m, 0, ErrTruncated
	case err != nil:
		return m, 0, fmt.Errorf("read backup: %w", err)
	}
	var l [4]byte
	if err := readFull(r, l[:]); err != nil {
		return m, 0, err
	}
	size := binary.BigEndian.Uint32(l[:])
	if size > maxManifestBytes {
		return m, 0, fmt.Errorf("%w: manifest of %d bytes", ErrCorrupt, size)
	}
	body := make([]byte, size)
	if err := readFull(r, body); err != nil {
		return m, 0, err
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return m, 0, fmt.Errorf("%w: manifest: %w", ErrCorrupt, err)
	}
	if m.FormatVersion > formatEncrypted {
		return m, 0, fmt.Errorf("%w: format version %d, this build reads up to %d", ErrNewerFormat, m.FormatVersion, formatEncrypted)
	}
	if (m.FormatVersion == formatEncrypted) != (m.Encryption != nil) {
		return m, 0, fmt.Errorf("%w: format version %d with encryption %v", ErrCorrupt, m.FormatVersion, m.Encryption != nil)
	}
	if m.FormatVersion < 1 || m.SnapshotTs == 0 || m.ID == "" {
		return m, 0, fmt.Errorf("%w: manifest lacks format version, id or snapshot timestamp", ErrCorrupt)
	}
	if m.Compression != compressionZstd {
		return m, 0, fmt.Errorf("%w: unknown compression %q", ErrCorrupt, m.Compression)
	}
	return m, int64(len(magic)) + 4 + int64(size), nil
}

// readFull reads len(b) bytes; a short read is a truncated file.
func readFull(r io.Reader, b []byte) error {
	_, err := io.ReadFull(r, b)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrTruncated
	}
	if err != nil {
		return fmt.Errorf("read backup: %w", err)
	}
	return nil
}

// hashingReader hashes every byte read through it: the file-level view
// whose SHA-256 the trailer holds.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	return n, err
}

// recordReader parses the (decompressed) record section.
type recordReader struct {
	r     *bufio.Reader
	count uint64
}

func newRecordReader(r io.Reader) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, 256<<10)}
}

func (rr *recordReader) uvarint() (uint64, error) {
	x, err := binary.ReadUvarint(rr.r)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return 0, ErrTruncated
	case err != nil:
		return 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return x, nil
}

func (rr *recordReader) bytes(limit uint64, what string) ([]byte, error) {
	n, err := rr.uvarint()
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("%w: %s of %d bytes exceeds the limit of %d", ErrCorrupt, what, n, limit)
	}
	b := make([]byte, n)
	return b, readFull(rr.r, b)
}

// record is one parsed record.
type record struct {
	tag        byte
	key, value []byte
}

// next returns the next record; tag is tagEnd after the last one, and
// then the section must be over.
func (rr *recordReader) next() (record, error) {
	tag, err := rr.r.ReadByte()
	if errors.Is(err, io.EOF) {
		return record{}, ErrTruncated
	}
	if err != nil {
		return record{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	switch tag {
	case tagEnd:
		if _, err := rr.r.ReadByte(); !errors.Is(err, io.EOF) {
			return record{}, fmt.Errorf("%w: data after the end record", ErrCorrupt)
		}
		return record{tag: tag}, nil
	case tagPut, tagKeep:
		rr.count++
		k, err := rr.bytes(maxKeyBytes, "key")
		if err != nil {
			return record{}, err
		}
		if len(k) == 0 {
			return record{}, fmt.Errorf("%w: empty key", ErrCorrupt)
		}
		rec := record{tag: tag, key: k}
		if tag == tagPut {
			if rec.value, err = rr.bytes(maxValueBytes, "value"); err != nil {
				return record{}, err
			}
		}
		return rec, nil
	default:
		return record{}, fmt.Errorf("%w: unknown record tag 0x%02x after record %d", ErrCorrupt, tag, rr.count)
	}
}
