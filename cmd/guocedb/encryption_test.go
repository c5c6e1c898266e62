package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/encryption"
	"github.com/guocedb/guocedb/internal/testutil"
	"github.com/guocedb/guocedb/internal/testutil/dirtest"
)

// canary is the secret the encryption tests write as text, as a 100 KB
// blob and as a table name, and then look for in every file.
const canary = "guocedbcanary5f2e9"

// TestEncryptionAtRest is issue 11's encryption acceptance on the real
// binary: a canary written as text, as a 100 KB blob and as a table name
// is in no file of the encrypted data directory (after a clean stop, and
// after kill -9 and a restart), of its slow log, audit log or backup; the
// rows are there after a restart with the key; a missing or wrong key
// exits 1 without changing a byte; check, backup and restore work with
// the key and refuse without it.
func TestEncryptionAtRest(t *testing.T) {
	// Under umask 000: the key registry, the marker and the sealed files
	// are 0600 (directories 0700) as every other file.
	bin := withUmask000(t, testutil.BuildBinary(t))
	base := t.TempDir()
	dataDir := filepath.Join(base, "data")
	auditLog := filepath.Join(base, "audit", "audit.log")
	keyFile := dirtest.WriteKeyFile(t, 0x6b)
	wrongKey := dirtest.WriteKeyFile(t, 0x7c)
	serveArgs := []string{"--encryption-key-file", keyFile, "--slow-query-time", "0", "--audit-log", auditLog}
	blob := strings.Repeat(canary, 100<<10/len(canary))
	noCanary := func(when string, paths ...string) {
		t.Helper()
		require.Empty(t, dirtest.FilesContaining(t, []byte(canary), paths...), "%s: the canary is in these files", when)
	}

	p := testutil.StartProcess(t, bin, dataDir, serveArgs...)
	resp, err := http.Get("http://" + p.HTTPAddr + "/status")
	require.NoError(t, err)
	var status struct {
		KeyID string `json:"encryption_key_id"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&status))
	require.NoError(t, resp.Body.Close())
	k, err := encryption.LoadKeyFile(keyFile)
	require.NoError(t, err)
	require.Equal(t, k.ID(), status.KeyID, "/status names the key")
	db := testutil.Connect(t, p.MySQLAddr)
	_, err = db.Exec("CREATE DATABASE s")
	require.NoError(t, err)
	_, err = db.Exec("CREATE TABLE s.t_" + canary + " (id INT PRIMARY KEY, v TEXT, b LONGBLOB)")
	require.NoError(t, err)
	_, err = db.Exec("INSERT INTO s.t_"+canary+" VALUES (1, 'text-"+canary+"', ?)", []byte(blob))
	require.NoError(t, err)
	require.NoError(t, db.Close())
	p.Stop()
	noCanary("after a clean stop", dataDir, auditLog)

	// The logs hold the statements, sealed: decrypt-log reads them back.
	code, out := testutil.Run(t, bin, nil, "decrypt-log", "--encryption-key-file", keyFile, filepath.Join(dataDir, "slow.log"), auditLog)
	require.Zero(t, code, out)
	require.Contains(t, out, "INSERT INTO s.t_"+canary)
	code, out = testutil.Run(t, bin, nil, "audit", "verify", "--data-dir", dataDir, auditLog)
	require.Zero(t, code, "the audit chain verifies without the encryption key: %s", out)

	// kill -9 in the middle: the commit log holds what Badger may not.
	p = testutil.StartProcess(t, bin, dataDir, serveArgs...)
	db = testutil.Connect(t, p.MySQLAddr)
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM s.t_"+canary+" WHERE v = 'text-"+canary+"' AND b = ?", []byte(blob)).Scan(&n))
	require.Equal(t, 1, n, "the row is there after a restart with the key")
	_, err = db.Exec("INSERT INTO s.t_"+canary+" VALUES (2, 'text2-"+canary+"', ?)", []byte(blob))
	require.NoError(t, err)
	require.NoError(t, db.Close())
	p.Kill9()
	noCanary("after kill -9", dataDir, auditLog)
	p = testutil.StartProcess(t, bin, dataDir, serveArgs...)
	db = testutil.Connect(t, p.MySQLAddr)
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM s.t_"+canary).Scan(&n))
	require.Equal(t, 2, n, "the acknowledged insert survived kill -9")
	require.NoError(t, db.Close())
	// An online backup of the encrypted server is encrypted too; with the
	// key the CLI authenticates every chunk of what arrived.
	online := filepath.Join(base, "online.bak")
	code, out = testutil.Run(t, bin, nil, "backup", "--server", p.AdminAddr, "--out", online, "--encryption-key-file", keyFile)
	require.Zero(t, code, out)
	require.Contains(t, out, "AES-256-GCM")
	noCanary("online backup", online)
	p.Stop()
	noCanary("after the restart", dataDir, auditLog)
	require.NotContains(t, p.Output(), canary, "the error log at info level holds no statement text")

	// A missing, wrong or unsafe key: exit 1, a clear message, no byte changed.
	before := dirtest.ReadDirState(t, dataDir)
	loose := filepath.Join(base, "loose.key")
	key, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(loose, key, 0o644))
	require.NoError(t, os.Chmod(loose, 0o644))
	shortKey := filepath.Join(base, "short.key")
	require.NoError(t, os.WriteFile(shortKey, key[:40], 0o600))
	serve := func(extra ...string) []string {
		return append([]string{"serve", "--data-dir", dataDir, "--mysql-addr", testutil.FreeAddr(t),
			"--http-addr", testutil.FreeAddr(t), "--admin-addr", testutil.FreeAddr(t)}, extra...)
	}
	for name, run := range map[string]struct {
		env  []string
		args []string
		want string
	}{
		"no key":          {nil, serve(), "is encrypted: give its key with --encryption-key-file"},
		"wrong key":       {nil, serve("--encryption-key-file", wrongKey), "wrong encryption key"},
		"wrong key (env)": {[]string{"GUOCEDB_ENCRYPTION_KEY_FILE=" + wrongKey}, serve(), "wrong encryption key"},
		"loose key file":  {nil, serve("--encryption-key-file", loose), "readable by group or others"},
		"check-config":    {nil, []string{"check-config", "--data-dir", dataDir, "--encryption-key-file", loose}, "encryption-key-file: "},
		"short key":       {nil, serve("--encryption-key-file", shortKey), "64 hex characters"},
		"check, no key":   {nil, []string{"check", "--data-dir", dataDir}, "is encrypted"},
		"check, wrong":    {nil, []string{"check", "--data-dir", dataDir, "--encryption-key-file", wrongKey}, "wrong encryption key"},
		"backup, no key":  {nil, []string{"backup", "--data-dir", dataDir, "--out", filepath.Join(base, "nokey.bak")}, "is encrypted"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out := testutil.Run(t, bin, run.env, run.args...)
			require.Equal(t, 1, code, out)
			require.Contains(t, out, run.want)
			require.NotContains(t, out, "panic")
			require.Equal(t, before, dirtest.ReadDirState(t, dataDir), "the directory changed")
		})
	}
	require.NoFileExists(t, filepath.Join(base, "nokey.bak"))

	code, out = testutil.Run(t, bin, nil, "check", "--data-dir", dataDir, "--encryption-key-file", keyFile)
	require.Zero(t, code, out)
	require.Contains(t, out, "no problems found")

	// Backups are encrypted; restore needs the key and refuses before
	// writing anything without it.
	bak := filepath.Join(base, "full.bak")
	code, out = testutil.Run(t, bin, nil, "backup", "--data-dir", dataDir, "--encryption-key-file", keyFile, "--out", bak)
	require.Zero(t, code, out)
	require.Contains(t, out, "AES-256-GCM")
	noCanary("backup", bak)
	restored := filepath.Join(base, "restored")
	for _, args := range [][]string{{}, {"--encryption-key-file", wrongKey}} {
		code, out = testutil.Run(t, bin, nil, append([]string{"restore", "--in", bak, "--data-dir", restored}, args...)...)
		require.Equal(t, 1, code, out)
		require.Contains(t, out, "key")
		require.NoDirExists(t, restored)
	}
	code, out = testutil.Run(t, bin, nil, "restore", "--in", bak, "--data-dir", restored, "--encryption-key-file", keyFile)
	require.Zero(t, code, out)
	noCanary("restored directory", restored)
	require.FileExists(t, filepath.Join(restored, "ENCRYPTION"))
	require.FileExists(t, filepath.Join(dataDir, "KEYREGISTRY"))
	requirePrivate(t, dataDir)
	requirePrivate(t, restored)
	requirePrivate(t, bak)
	p = testutil.StartProcess(t, bin, restored, "--encryption-key-file", keyFile)
	db = testutil.Connect(t, p.MySQLAddr)
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM s.t_"+canary+" WHERE b = ?", []byte(blob)).Scan(&n))
	require.Equal(t, 2, n)
	require.NoError(t, db.Close())
	p.Stop()

	// Master key rotation: afterwards the old key no longer opens it.
	newKey := dirtest.WriteKeyFile(t, 0x8d)
	code, out = testutil.Run(t, bin, nil, "rotate-key", "--data-dir", dataDir, "--old-key-file", wrongKey, "--new-key-file", newKey)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "wrong encryption key")
	code, out = testutil.Run(t, bin, nil, "rotate-key", "--data-dir", dataDir, "--old-key-file", keyFile, "--new-key-file", newKey)
	require.Zero(t, code, out)
	code, out = testutil.Run(t, bin, nil, serve("--encryption-key-file", keyFile)...)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "wrong encryption key")
	p = testutil.StartProcess(t, bin, dataDir, "--encryption-key-file", newKey)
	db = testutil.Connect(t, p.MySQLAddr)
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM s.t_"+canary+" WHERE b = ?", []byte(blob)).Scan(&n))
	require.Equal(t, 2, n, "the rows are there under the new key")
	require.NoError(t, db.Close())
	p.Stop()
	noCanary("after the rotation", dataDir)
	requirePrivate(t, dataDir)
}

// TestEncryptionRefusedOnPlaintextDirectory: a key for a directory that
// holds plaintext data is refused with the way to encrypt it, and that
// way (backup, restore with the key) works.
func TestEncryptionRefusedOnPlaintextDirectory(t *testing.T) {
	bin := testutil.BuildBinary(t)
	base := t.TempDir()
	dataDir := filepath.Join(base, "data")
	keyFile := dirtest.WriteKeyFile(t, 0x6b)
	p := testutil.StartProcess(t, bin, dataDir)
	db := testutil.Connect(t, p.MySQLAddr)
	_, err := db.Exec("CREATE DATABASE s; CREATE TABLE s.t (v TEXT); INSERT INTO s.t VALUES ('plain-" + canary + "')")
	require.NoError(t, err)
	require.NoError(t, db.Close())
	p.Stop()
	// The search works: without encryption the canary is there.
	require.NotEmpty(t, dirtest.FilesContaining(t, []byte(canary), dataDir))

	before := dirtest.ReadDirState(t, dataDir)
	code, out := testutil.Run(t, bin, nil, "serve", "--data-dir", dataDir, "--encryption-key-file", keyFile,
		"--mysql-addr", testutil.FreeAddr(t), "--http-addr", testutil.FreeAddr(t), "--admin-addr", testutil.FreeAddr(t))
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "not encrypted and cannot be encrypted in place")
	require.Contains(t, out, "guocedb restore --in FILE --data-dir NEWDIR --encryption-key-file KEYFILE")
	require.Equal(t, before, dirtest.ReadDirState(t, dataDir))

	bak := filepath.Join(base, "plain.bak")
	code, out = testutil.Run(t, bin, nil, "backup", "--data-dir", dataDir, "--out", bak)
	require.Zero(t, code, out)
	enc := filepath.Join(base, "encrypted")
	code, out = testutil.Run(t, bin, nil, "restore", "--in", bak, "--data-dir", enc, "--encryption-key-file", keyFile)
	require.Zero(t, code, out)
	require.Empty(t, dirtest.FilesContaining(t, []byte(canary), enc))
	p = testutil.StartProcess(t, bin, enc, "--encryption-key-file", keyFile)
	db = testutil.Connect(t, p.MySQLAddr)
	var v string
	require.NoError(t, db.QueryRow("SELECT v FROM s.t").Scan(&v))
	require.Equal(t, "plain-"+canary, v)
	require.NoError(t, db.Close())
	p.Stop()
}
