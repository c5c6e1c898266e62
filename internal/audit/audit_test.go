package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func openTest(t *testing.T, dir string, mut func(*Options)) *Log {
	t.Helper()
	o := Options{Path: filepath.Join(dir, "audit.log"), KeyFile: filepath.Join(dir, KeyFileName)}
	if mut != nil {
		mut(&o)
	}
	l, err := Open(o)
	require.NoError(t, err)
	return l
}

func verifyFile(t *testing.T, path string, key []byte) (int, uint64, error) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	return Verify(f, key)
}

func TestChainRotationAndResume(t *testing.T) {
	dir := t.TempDir()
	var last uint64
	l := openTest(t, dir, func(o *Options) { o.MaxSize = 600; o.OnSeq = func(s uint64) { last = s } })
	for i := range 20 {
		l.Record(Record{Event: EventQuery, Class: "dml", User: "app", Host: "127.0.0.1", DB: "d", ConnID: 7,
			Query: "INSERT INTO t VALUES (" + strings.Repeat("x", i) + ")"})
	}
	require.NoError(t, l.Close())
	require.Equal(t, uint64(21), last, "the audit record and 20 statements")
	// Restart: the chain goes on.
	l = openTest(t, dir, func(o *Options) { o.MaxSize = 600 })
	l.Record(Record{Event: EventConnect, User: "app", Status: 1045})
	require.NoError(t, l.Close())
	require.Equal(t, uint64(23), l.LastSeq())

	key, err := LoadKey(filepath.Join(dir, KeyFileName))
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(dir, "audit.log.*"))
	require.NoError(t, err)
	require.Greater(t, len(files), 2, "rotated by size")
	files = append(files, filepath.Join(dir, "audit.log"))
	var seqs uint64
	for _, f := range files {
		n, lastSeq, err := verifyFile(t, f, key)
		require.NoError(t, err, f)
		seqs += uint64(n)
		require.Positive(t, lastSeq)
	}
	require.Equal(t, uint64(23), seqs, "no gaps across rotation")

	st, err := os.Stat(filepath.Join(dir, KeyFileName))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	st, err = os.Stat(filepath.Join(dir, "audit.log"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

func TestVerifyFindsTampering(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir, nil)
	for _, q := range []string{"SELECT 1", "SELECT 2", "SELECT 3", "SELECT 4"} {
		l.Record(Record{Event: EventQuery, Class: "select", User: "u", Query: q})
	}
	require.NoError(t, l.Close())
	key, err := LoadKey(filepath.Join(dir, KeyFileName))
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(dir, "audit.log"))
	require.NoError(t, err)
	lines := strings.SplitAfter(strings.TrimSuffix(string(raw), "\n"), "\n")
	require.Len(t, lines, 5)
	n, lastSeq, err := Verify(strings.NewReader(string(raw)), key)
	require.NoError(t, err)
	require.Equal(t, 5, n)
	require.Equal(t, uint64(5), lastSeq)

	join := func(ls ...string) string {
		s := strings.Join(ls, "")
		if !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		return s
	}
	for _, tc := range []struct {
		name    string
		text    string
		wantSeq uint64
	}{
		{"edited", join(lines[0], lines[1], strings.Replace(lines[2], "SELECT 2", "SELECT 9", 1), lines[3], lines[4]), 3},
		{"deleted", join(lines[0], lines[1], lines[3], lines[4]), 4},
		{"reordered", join(lines[0], lines[1], lines[3], lines[2], lines[4]), 4},
		{"first deleted", join(lines[1], lines[2], lines[3], lines[4]), 2},
		{"wrong key", string(raw), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := key
			if tc.name == "wrong key" {
				k = bytes.Repeat([]byte{1}, 32)
			}
			_, _, err := Verify(strings.NewReader(tc.text), k)
			var bad *BadRecordError
			require.True(t, errors.As(err, &bad), "%v", err)
			require.Equal(t, tc.wantSeq, bad.Seq, "%v", err)
		})
	}
}

func TestFilters(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir, func(o *Options) { o.Events = []string{"connect", "dml"}; o.Users = []string{"app"} })
	defer l.Close()
	for _, tc := range []struct {
		event, class, user string
		want               bool
	}{
		{EventQuery, "dml", "app", true},
		{EventQuery, "select", "app", false},
		{EventConnect, "", "app", true},
		{EventDisconnect, "", "app", false},
		{EventQuery, "dml", "other", false},
		{EventQuery, "ddl", "other", true},
		{EventQuery, "dcl", "other", true},
		{EventAudit, "admin", "", true},
	} {
		require.Equal(t, tc.want, l.Wanted(tc.event, tc.class, tc.user), "%+v", tc)
	}
}

func TestRecordMasksPasswords(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir, nil)
	l.Record(Record{Event: EventQuery, Class: "dcl", Query: "CREATE USER u IDENTIFIED BY 'hunter2'"})
	require.NoError(t, l.Close())
	raw, err := os.ReadFile(filepath.Join(dir, "audit.log"))
	require.NoError(t, err)
	require.NotContains(t, string(raw), "hunter2")
	require.Contains(t, string(raw), "IDENTIFIED BY '***'")
}

func TestKeyFileModeRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeyFileName)
	_, err := LoadOrCreateKey(path)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(path, 0o644))
	_, err = LoadKey(path)
	require.ErrorContains(t, err, "chmod 600")
}
