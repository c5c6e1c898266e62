package raftlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// A log file is a sequence of records:
//
//	[4 bytes body length][4 bytes CRC-32C of body][body]
//	body = [1 byte record type][payload]
//
// integers big-endian. A record is whole or the file ends inside it (a
// write cut by a crash); a CRC mismatch is treated the same way at the
// end of the newest segment and as corruption anywhere else.
const (
	recSegment    byte = 1 // payload: magic, version, segment sequence number
	recEntry      byte = 2 // payload: index, term, entry type, data
	recHardState  byte = 3 // payload: term, vote, commit
	recCheckpoint byte = 4 // payload: index, term (the checkpoint file)
	// recSealedEntry is recEntry with its data sealed (encryption at
	// rest): index, term, entry type in the clear (they are no user data,
	// and recovery orders entries by them), then Sealer.Seal(data) with
	// those 17 bytes as additional data. A log without a Sealer refuses
	// it; a log with one refuses recEntry.
	recSealedEntry byte = 5
	// recCheckpointApplied is recCheckpoint with the applied index:
	// index, term, applied, then the configuration. Written only when
	// applied is above index (a cluster member keeping entries for its
	// peers), so that a single node's checkpoint stays readable by
	// releases before it.
	recCheckpointApplied byte = 6
)

// Sealer encrypts and authenticates the data of the log's entries
// (internal/encryption.Sealer): the write sets are user data. Hard
// states, checkpoints and segment headers hold only raft's numbers and
// stay in the clear. Implementations are safe for concurrent use.
type Sealer interface {
	// Seal appends the sealed data, bound to ad, to dst.
	Seal(dst, data, ad []byte) []byte
	// Open appends the data sealed in sealed to dst, or fails when it
	// does not authenticate with ad (wrong key, changed bytes).
	Open(dst, sealed, ad []byte) ([]byte, error)
}

// ErrEncrypted is returned for a sealed entry when the log was opened
// without a Sealer, and for a plain entry when it was opened with one.
var ErrEncrypted = errors.New("commit log encryption does not match: the log holds sealed entries and no key was given, or plain entries and a key was given")

// headerLen is the framing in front of each body.
const headerLen = 8

// maxRecordLen bounds a body so that a corrupt length cannot make the
// reader allocate without limit: larger than any write set guocedb makes
// (bulk work commits in batches of a few MB).
const maxRecordLen = 1 << 30

// formatVersion is the version of this file format, in every segment's
// first record; a newer one is refused.
const formatVersion = 1

// segmentMagic starts every segment's first record.
var segmentMagic = []byte("guocedb-raftlog")

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errTorn is a record cut short or failing its checksum.
var errTorn = errors.New("torn or corrupt record")

// appendRecord appends one framed record to buf.
func appendRecord(buf []byte, typ byte, payload []byte) []byte {
	body := 1 + len(payload)
	start := len(buf)
	buf = binary.BigEndian.AppendUint32(buf, uint32(body))
	buf = binary.BigEndian.AppendUint32(buf, 0)
	buf = append(buf, typ)
	buf = append(buf, payload...)
	binary.BigEndian.PutUint32(buf[start+4:], crc32.Checksum(buf[start+headerLen:], crcTable))
	return buf
}

// readRecord decodes the record at the start of b and returns its type,
// payload (aliasing b) and framed length; errTorn when b does not start
// with a whole, intact record.
func readRecord(b []byte) (typ byte, payload []byte, n int, err error) {
	if len(b) < headerLen+1 {
		return 0, nil, 0, errTorn
	}
	body := binary.BigEndian.Uint32(b)
	if body == 0 || body > maxRecordLen || uint64(len(b)-headerLen) < uint64(body) {
		return 0, nil, 0, errTorn
	}
	n = headerLen + int(body)
	if crc32.Checksum(b[headerLen:n], crcTable) != binary.BigEndian.Uint32(b[4:]) {
		return 0, nil, 0, errTorn
	}
	return b[headerLen], b[headerLen+1 : n], n, nil
}

// Entry is one log entry as the application sees it.
type Entry struct {
	Index, Term uint64
	// Data is the proposed payload; nil for the entries raft appends
	// itself (a new leader's empty entry).
	Data []byte
}

// entryHeaderLen is index, term and type in front of an entry's data.
const entryHeaderLen = 17

func encodeEntry(buf []byte, sealer Sealer, index, term uint64, typ byte, data []byte) []byte {
	n := entryHeaderLen + len(data)
	if sealer != nil {
		n += 64 // the seal's overhead
	}
	p := make([]byte, 0, n)
	p = binary.BigEndian.AppendUint64(p, index)
	p = binary.BigEndian.AppendUint64(p, term)
	p = append(p, typ)
	if sealer != nil {
		p = sealer.Seal(p, data, p[:entryHeaderLen])
		return appendRecord(buf, recSealedEntry, p)
	}
	p = append(p, data...)
	return appendRecord(buf, recEntry, p)
}

// openEntry decodes a recSealedEntry's payload. A seal that does not
// authenticate is errTorn: at the end of the newest segment it is a cut
// write like a checksum mismatch, elsewhere corruption (the caller
// decides, as for any bad record). The key itself was checked before the
// log was opened (the data directory's encryption marker), so a wrong
// key never gets here to have records cut.
func openEntry(sealer Sealer, p []byte) (index, term uint64, typ byte, data []byte, err error) {
	if sealer == nil {
		return 0, 0, 0, nil, ErrEncrypted
	}
	if len(p) < entryHeaderLen {
		return 0, 0, 0, nil, fmt.Errorf("entry record of %d bytes", len(p))
	}
	data, err = sealer.Open(nil, p[entryHeaderLen:], p[:entryHeaderLen])
	if err != nil {
		return 0, 0, 0, nil, fmt.Errorf("%w: %v", errTorn, err)
	}
	return binary.BigEndian.Uint64(p), binary.BigEndian.Uint64(p[8:]), p[16], data, nil
}

func decodeEntry(p []byte) (index, term uint64, typ byte, data []byte, err error) {
	if len(p) < 17 {
		return 0, 0, 0, nil, fmt.Errorf("entry record of %d bytes", len(p))
	}
	return binary.BigEndian.Uint64(p), binary.BigEndian.Uint64(p[8:]), p[16], p[17:], nil
}

// hardState is raft's persistent state besides the entries.
type hardState struct{ Term, Vote, Commit uint64 }

func encodeHardState(buf []byte, hs hardState) []byte {
	p := make([]byte, 0, 24)
	p = binary.BigEndian.AppendUint64(p, hs.Term)
	p = binary.BigEndian.AppendUint64(p, hs.Vote)
	p = binary.BigEndian.AppendUint64(p, hs.Commit)
	return appendRecord(buf, recHardState, p)
}

func decodeHardState(p []byte) (hardState, error) {
	if len(p) != 24 {
		return hardState{}, fmt.Errorf("hard state record of %d bytes", len(p))
	}
	return hardState{binary.BigEndian.Uint64(p), binary.BigEndian.Uint64(p[8:]), binary.BigEndian.Uint64(p[16:])}, nil
}

// Checkpoint is the durable point up to which the application's state
// holds every entry: entries at or below Index are never replayed and may
// be deleted. On a cluster member the log keeps entries its peers may
// still need (ClusterOptions.Retain) above what the state holds: Applied
// then says how far the state durably goes, and the entries in
// (Index, Applied] stay in the log for the peers without being applied
// again after a restart.
type Checkpoint struct {
	Index, Term uint64
	// Applied is the last entry the application state durably holds,
	// at least Index (0 in a checkpoint that records none: Index).
	Applied uint64
	// Conf is the group's configuration at Index (a marshaled
	// raftpb.ConfState) on a cluster member whose membership changed
	// through the log; nil when none was recorded (a single node, a
	// checkpoint written before conf changes existed): the configuration
	// then comes from the caller (ClusterOptions.Voters).
	Conf []byte
}

// applied returns the last entry the state holds by cp.
func (cp Checkpoint) applied() uint64 { return max(cp.Index, cp.Applied) }

// encodeCheckpoint writes index and term (and the applied index when it
// is above index: recCheckpointApplied), then the configuration when
// there is one: a checkpoint of 16 bytes (older builds) still reads.
func encodeCheckpoint(cp Checkpoint) []byte {
	p := binary.BigEndian.AppendUint64(nil, cp.Index)
	p = binary.BigEndian.AppendUint64(p, cp.Term)
	typ := recCheckpoint
	if cp.Applied > cp.Index {
		typ = recCheckpointApplied
		p = binary.BigEndian.AppendUint64(p, cp.Applied)
	}
	p = append(p, cp.Conf...)
	return appendRecord(nil, typ, p)
}

func decodeCheckpoint(b []byte) (Checkpoint, error) {
	typ, p, n, err := readRecord(b)
	fixed := 16
	if typ == recCheckpointApplied {
		fixed = 24
	}
	if err != nil || (typ != recCheckpoint && typ != recCheckpointApplied) || len(p) < fixed || n != len(b) {
		return Checkpoint{}, errors.New("checkpoint file is corrupt")
	}
	cp := Checkpoint{Index: binary.BigEndian.Uint64(p), Term: binary.BigEndian.Uint64(p[8:])}
	if typ == recCheckpointApplied {
		cp.Applied = binary.BigEndian.Uint64(p[16:])
		if cp.Applied < cp.Index {
			return Checkpoint{}, errors.New("checkpoint file is corrupt: applied index below the checkpoint's")
		}
	}
	if len(p) > fixed {
		cp.Conf = append([]byte(nil), p[fixed:]...)
	}
	return cp, nil
}

func encodeSegmentHeader(seq uint64) []byte {
	p := append([]byte(nil), segmentMagic...)
	p = binary.BigEndian.AppendUint32(p, formatVersion)
	p = binary.BigEndian.AppendUint64(p, seq)
	return appendRecord(nil, recSegment, p)
}

func decodeSegmentHeader(p []byte) (version uint32, seq uint64, err error) {
	if len(p) != len(segmentMagic)+12 || string(p[:len(segmentMagic)]) != string(segmentMagic) {
		return 0, 0, errors.New("not a guocedb log segment")
	}
	p = p[len(segmentMagic):]
	return binary.BigEndian.Uint32(p), binary.BigEndian.Uint64(p[4:]), nil
}
