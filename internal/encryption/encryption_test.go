package encryption_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/testutil/dirtest"
)

func TestLoadKeyFile(t *testing.T) {
	good := dirtest.WriteKeyFile(t, 0x3c)
	k, err := encryption.LoadKeyFile(good)
	require.NoError(t, err)
	require.Len(t, k.ID(), 16)

	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), mode))
		require.NoError(t, os.Chmod(p, mode))
		return p
	}
	hex := strings.Repeat("ab", 32)
	for _, tt := range []struct {
		name, path string
		want       []string
	}{
		{"group-readable", write("g", hex, 0o640), []string{"readable by group or others", "0640", "chmod 600"}},
		{"world-readable", write("o", hex, 0o604), []string{"readable by group or others"}},
		{"short", write("s", hex[:62], 0o600), []string{"64 hex characters"}},
		{"not hex", write("x", strings.Repeat("zz", 32), 0o600), []string{"64 hex characters"}},
		{"missing", filepath.Join(dir, "none"), []string{"no such file"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := encryption.LoadKeyFile(tt.path)
			require.Error(t, err)
			for _, w := range tt.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}

func TestCheckDir(t *testing.T) {
	k1, _ := encryption.ParseKey(strings.Repeat("11", 32))
	k2, _ := encryption.ParseKey(strings.Repeat("22", 32))
	dir := t.TempDir()
	st, err := encryption.CheckDir(dir, nil, false)
	require.NoError(t, err)
	require.Equal(t, encryption.Plain, st)
	_, err = encryption.CheckDir(dir, k1, true)
	require.ErrorIs(t, err, encryption.ErrNotEncrypted)
	st, err = encryption.CheckDir(dir, k1, false)
	require.NoError(t, err)
	require.Equal(t, encryption.NewEncrypted, st)
	require.NoError(t, encryption.WriteMarker(dir, k1))
	b, err := os.ReadFile(filepath.Join(dir, encryption.MarkerName))
	require.NoError(t, err)
	require.NotContains(t, string(b), strings.Repeat("11", 32), "the marker never holds the key")
	st, err = encryption.CheckDir(dir, k1, true)
	require.NoError(t, err)
	require.Equal(t, encryption.Encrypted, st)
	_, err = encryption.CheckDir(dir, nil, true)
	require.ErrorIs(t, err, encryption.ErrKeyRequired)
	_, err = encryption.CheckDir(dir, k2, true)
	require.ErrorIs(t, err, encryption.ErrWrongKey)
	require.ErrorContains(t, err, k1.ID())
}

func TestStream(t *testing.T) {
	k, _ := encryption.ParseKey(strings.Repeat("11", 32))
	other, _ := encryption.ParseKey(strings.Repeat("22", 32))
	plain := bytes.Repeat([]byte("0123456789"), 20_000) // several chunks
	var buf bytes.Buffer
	w, salt, err := encryption.NewStreamWriter(&buf, k, "test")
	require.NoError(t, err)
	_, err = w.Write(plain[:5])
	require.NoError(t, err)
	_, err = w.Write(plain[5:])
	require.NoError(t, err)
	require.NoError(t, w.Close())
	enc := buf.Bytes()
	require.False(t, bytes.Contains(enc, []byte("0123456789")))

	read := func(b []byte, key *encryption.Key) ([]byte, error) {
		r, err := encryption.NewStreamReader(bytes.NewReader(b), key, "test", salt)
		require.NoError(t, err)
		return io.ReadAll(r)
	}
	got, err := read(enc, k)
	require.NoError(t, err)
	require.Equal(t, plain, got)

	_, err = read(enc, other)
	require.ErrorIs(t, err, encryption.ErrAuth)
	for _, at := range []int{0, 3, 4, 100, len(enc) / 2, len(enc) - 1} {
		bad := bytes.Clone(enc)
		bad[at] ^= 1
		_, err = read(bad, k)
		require.Error(t, err, "flipped byte %d", at)
	}
	_, err = read(enc[:len(enc)-1], k)
	require.ErrorIs(t, err, encryption.ErrStreamTruncated)
	// Cut at a chunk boundary: the final flag is missing.
	_, err = read(enc[:4+encryption.ChunkSize+16], k)
	require.ErrorIs(t, err, encryption.ErrStreamTruncated)
	_, err = read(append(bytes.Clone(enc), 0), k)
	require.ErrorIs(t, err, encryption.ErrAuth)
}

func TestSealer(t *testing.T) {
	k, _ := encryption.ParseKey(strings.Repeat("11", 32))
	a, err := encryption.NewSealer(k, "log")
	require.NoError(t, err)
	b, err := encryption.NewSealer(k, "log")
	require.NoError(t, err)
	s1 := a.Seal(nil, []byte("hello"), []byte("ad"))
	s2 := a.Seal(nil, []byte("hello"), []byte("ad"))
	require.NotEqual(t, s1, s2, "a nonce is never reused")
	got, err := b.Open(nil, s1, []byte("ad"))
	require.NoError(t, err, "another sealer of the same key opens it")
	require.Equal(t, "hello", string(got))
	_, err = b.Open(nil, s1, []byte("other ad"))
	require.ErrorIs(t, err, encryption.ErrAuth)
	other, _ := encryption.ParseKey(strings.Repeat("22", 32))
	c, err := encryption.NewSealer(other, "log")
	require.NoError(t, err)
	_, err = c.Open(nil, s1, []byte("ad"))
	require.ErrorIs(t, err, encryption.ErrAuth)
}

func TestSealedFields(t *testing.T) {
	k, _ := encryption.ParseKey(strings.Repeat("11", 32))
	w, err := encryption.NewSealer(k, encryption.LogFieldUse)
	require.NoError(t, err)
	q := w.SealString("query", "INSERT INTO t VALUES ('s\"ecret\\n')")
	require.True(t, strings.HasPrefix(q, encryption.FieldPrefix))
	require.Empty(t, w.SealString("db", ""))
	line := []byte(`{"seq":1,"db":"` + w.SealString("db", "shop") + `","query":"` + q + `","hmac":"00"}`)
	r, err := encryption.NewSealer(k, encryption.LogFieldUse)
	require.NoError(t, err)
	got, err := r.OpenLine(line)
	require.NoError(t, err)
	require.Equal(t, `{"seq":1,"db":"shop","query":"INSERT INTO t VALUES ('s\"ecret\\n')","hmac":"00"}`, string(got))
	// A sealed value moved to another field does not open.
	_, err = r.OpenLine([]byte(`{"db":"` + q + `"}`))
	require.ErrorIs(t, err, encryption.ErrAuth)
}
