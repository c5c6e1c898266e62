package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
)

// craft builds a backup file from raw decompressed records (tags included,
// without the end record unless given) with a correct trailer and
// checksum: what a buggy writer could produce, which only the apply pass
// can catch. records and puts are what the manifest and trailer claim.
func craft(t *testing.T, m Manifest, body []byte, records, puts uint64) []byte {
	t.Helper()
	m.FormatVersion, m.Compression = FormatVersion, compressionZstd
	m.Keys, m.ChangedKeys = int64(records), int64(puts)
	header, err := json.Marshal(m)
	require.NoError(t, err)
	var buf bytes.Buffer
	buf.Write(magic)
	buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(header))))
	buf.Write(header)
	zw, err := zstd.NewWriter(&buf)
	require.NoError(t, err)
	_, err = zw.Write(body)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	tr := trailer{records: records, puts: puts, fileBytes: uint64(buf.Len() + trailerLen)}
	buf.Write(tr.appendCounters(nil))
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	return buf.Bytes()
}

func put(k, v string) []byte {
	b := []byte{tagPut}
	b = binary.AppendUvarint(b, uint64(len(k)))
	b = append(b, k...)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func keep(k string) []byte {
	b := []byte{tagKeep}
	b = binary.AppendUvarint(b, uint64(len(k)))
	return append(b, k...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestApplyRefusesMalformedContentWithAValidChecksum(t *testing.T) {
	full := Manifest{ID: "f", SnapshotTs: 10}
	tests := []struct {
		name          string
		body          []byte
		records, puts uint64 // what the manifest and the trailer claim
		want          string
	}{
		{"keys out of order", cat(put("b", "1"), put("a", "1"), []byte{tagEnd}), 2, 2, "out of order"},
		{"duplicate key", cat(put("a", "1"), put("a", "2"), []byte{tagEnd}), 2, 2, "out of order"},
		{"no end record", cat(put("a", "1")), 1, 1, "truncated"},
		{"data after the end record", cat(put("a", "1"), []byte{tagEnd, 'x'}), 1, 1, "after the end record"},
		{"unknown tag", cat(put("a", "1"), []byte{'Z'}), 1, 1, "unknown record tag 0x5a"},
		{"key without value in a full backup", cat(keep("a"), []byte{tagEnd}), 1, 0, "without its value"},
		{"empty key", cat(put("", "1"), []byte{tagEnd}), 1, 1, "empty key"},
		{"oversized key length", cat([]byte{tagPut}, binary.AppendUvarint(nil, 1<<40)), 1, 1, "exceeds the limit"},
		{"fewer records than counted", cat(put("a", "1"), []byte{tagEnd}), 2, 2, "1 records read, the trailer counts 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "crafted")
			require.NoError(t, os.WriteFile(path, craft(t, full, tt.body, tt.records, tt.puts), 0o600))
			_, err := Verify(context.Background(), path)
			require.NoError(t, err, "the checksum is right: only applying finds the problem")
			_, err = Restore(context.Background(), filepath.Join(dir, "r"), []string{path}, RestoreOptions{})
			require.ErrorContains(t, err, tt.want)
			ents, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, ents, 1, "nothing but the crafted file")
		})
	}
}

func TestVerifyChecksManifestAgainstTrailer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	b := craft(t, Manifest{ID: "f", SnapshotTs: 10}, cat(put("a", "1"), []byte{tagEnd}), 1, 1)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	m, err := Verify(context.Background(), path)
	require.NoError(t, err)
	require.Equal(t, int64(len(b)), m.FileBytes)

	// A manifest that lies about its counts (the trailer has the truth).
	var hdr Manifest
	hdr.ID, hdr.SnapshotTs = "g", 10
	b = craft(t, hdr, cat(put("a", "1"), []byte{tagEnd}), 1, 1)
	b = bytes.Replace(b, []byte(`"keys":1`), []byte(`"keys":7`), 1)
	sum := sha256.Sum256(b[:len(b)-sha256.Size])
	copy(b[len(b)-sha256.Size:], sum[:])
	require.NoError(t, os.WriteFile(path, b, 0o600))
	_, err = Verify(context.Background(), path)
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "announces 7 keys")
}

// FuzzReadBackup feeds arbitrary bytes to the header and record parsers:
// they must return errors, never panic or allocate past their limits.
func FuzzReadBackup(f *testing.F) {
	f.Add(cat(put("a", "1"), []byte{tagEnd}))
	f.Add(cat(keep("k"), put("z", ""), []byte{tagEnd}))
	f.Add([]byte{tagPut, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add(append(append([]byte(nil), magic...), 0, 0, 0, 2, '{', '}'))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ReadManifest(bytes.NewReader(b))
		rr := newRecordReader(bytes.NewReader(b))
		for i := 0; i < 1000; i++ {
			rec, err := rr.next()
			if err != nil || rec.tag == tagEnd {
				return
			}
		}
	})
}
