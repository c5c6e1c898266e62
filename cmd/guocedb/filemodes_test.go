package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// withUmask000 is a script that runs bin under umask 000, the most
// permissive umask a careless service manager could start guocedb with.
func withUmask000(t *testing.T, bin string) string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "guocedb-umask000")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\numask 000\nexec '"+bin+"' \"$@\"\n"), 0o700))
	return script
}

// requirePrivate fails for any file under root readable or writable by
// group or others, and any directory that is not 0700.
func requirePrivate(t *testing.T, root string) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		n++
		switch {
		case info.IsDir():
			require.Equal(t, fs.FileMode(0o700), info.Mode().Perm(), "directory %s", path)
		case info.Mode().IsRegular():
			require.Zero(t, info.Mode().Perm()&0o077, "file %s has mode %04o", path, info.Mode().Perm())
		}
		return nil
	}))
	return n
}

// TestFileModes: files guocedb creates are 0600 and its directories 0700
// whatever the umask: the data directory, the slow log, the generated TLS
// key and certificate, INTO OUTFILE files and backups.
func TestFileModes(t *testing.T) {
	bin := withUmask000(t, testutil.BuildBinary(t))
	base := t.TempDir()
	dataDir := filepath.Join(base, "data")
	files := filepath.Join(base, "files")
	require.NoError(t, os.Mkdir(files, 0o700))

	p := testutil.StartProcess(t, bin, dataDir, "--tls-auto-generate", "--secure-file-priv", files, "--slow-query-time", "0")
	db := testutil.Connect(t, p.MySQLAddr)
	_, err := db.Exec("CREATE DATABASE m; CREATE TABLE m.t (id INT PRIMARY KEY, v TEXT); INSERT INTO m.t VALUES (1, 'a'), (2, 'b')")
	require.NoError(t, err)
	_, err = db.Exec("SELECT * FROM m.t INTO OUTFILE '" + filepath.Join(files, "t.txt") + "'")
	require.NoError(t, err)
	p.Stop()

	require.FileExists(t, filepath.Join(dataDir, "slow.log"))
	require.FileExists(t, filepath.Join(dataDir, "tls", "server-key.pem"))
	require.Greater(t, requirePrivate(t, dataDir), 5)
	requirePrivate(t, files)

	out := filepath.Join(base, "backup.gdbbak")
	code, output := testutil.Run(t, bin, nil, "backup", "--data-dir", dataDir, "--out", out)
	require.Zero(t, code, output)
	requirePrivate(t, out)
	restored := filepath.Join(base, "restored")
	code, output = testutil.Run(t, bin, nil, "restore", "--in", out, "--data-dir", restored)
	require.Zero(t, code, output)
	requirePrivate(t, restored)
}

// TestSecureFilePrivRefused: serve and check-config refuse a
// secure-file-priv directory anybody can write to, or one inside the data
// directory, naming the key; the flag, the config key and the environment
// variable all reach the check.
func TestSecureFilePrivRefused(t *testing.T) {
	bin := testutil.BuildBinary(t)
	base := t.TempDir()
	dataDir := filepath.Join(base, "data")
	open := filepath.Join(base, "open")
	require.NoError(t, os.Mkdir(open, 0o700))
	require.NoError(t, os.Chmod(open, 0o777))
	inData := filepath.Join(dataDir, "in")
	require.NoError(t, os.MkdirAll(inData, 0o700))
	conf := filepath.Join(base, "guocedb.toml")
	require.NoError(t, os.WriteFile(conf, []byte("secure-file-priv = \""+open+"\"\n"), 0o600))

	for name, run := range map[string]struct {
		env  []string
		args []string
		want string
	}{
		"flag world-writable":   {nil, []string{"serve", "--data-dir", dataDir, "--secure-file-priv", open}, "writable by every user"},
		"config world-writable": {nil, []string{"check-config", "--data-dir", dataDir, "--config", conf}, "writable by every user"},
		"env inside data dir":   {[]string{"GUOCEDB_SECURE_FILE_PRIV=" + inData}, []string{"check-config", "--data-dir", dataDir}, "inside the data directory"},
		"missing directory":     {nil, []string{"serve", "--data-dir", dataDir, "--secure-file-priv", filepath.Join(base, "nope")}, "no such file"},
	} {
		t.Run(name, func(t *testing.T) {
			code, output := testutil.Run(t, bin, run.env, run.args...)
			require.Equal(t, 1, code, output)
			require.Contains(t, output, "secure-file-priv")
			require.Contains(t, output, run.want)
			require.False(t, strings.Contains(output, "panic"), output)
		})
	}
}
