package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/backup"
	"github.com/guocedb/guocedb/internal/storage"
	"github.com/guocedb/guocedb/internal/testutil"
)

func exec1(t *testing.T, db *sql.DB, qs ...string) {
	t.Helper()
	for _, q := range qs {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
}

func items(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT CONCAT(id, ':', name) FROM shop.items ORDER BY id")
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

// runOK runs the binary and requires exit 0 and the wanted output.
func runOK(t *testing.T, bin string, want string, args ...string) string {
	t.Helper()
	code, out := testutil.Run(t, bin, nil, args...)
	require.Equal(t, 0, code, "guocedb %v:\n%s", args, out)
	require.Contains(t, out, want)
	return out
}

// TestBackupRestoreCommands backs up a stopped server's directory (full,
// then incremental), restores the chain with the binary, starts a server
// on the result and reads it over the wire.
func TestBackupRestoreCommands(t *testing.T) {
	bin := testutil.BuildBinary(t)
	work := t.TempDir()
	data := filepath.Join(work, "data")

	p := testutil.StartProcess(t, bin, data)
	db := testutil.Connect(t, p.MySQLAddr)
	exec1(t, db,
		"CREATE DATABASE shop",
		"CREATE TABLE shop.items (id BIGINT PRIMARY KEY, name VARCHAR(50) NOT NULL, KEY by_name (name))",
		"INSERT INTO shop.items VALUES (1,'apple'),(2,'pear'),(3,'plum')",
	)
	wantFull := items(t, db)
	code, out := testutil.Run(t, bin, nil, "backup", "--data-dir", data, "--out", filepath.Join(work, "refused"))
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "in use by another process")
	require.Contains(t, out, "--server")
	// Online, through the admin API, it works while the server runs.
	online := filepath.Join(work, "online.gdbbak")
	runOK(t, bin, "full backup written to "+online, "backup", "--server", p.AdminAddr, "--out", online)
	code, out = testutil.Run(t, bin, nil, "check", "--data-dir", data)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "in use by another process")
	p.Stop()

	full := filepath.Join(work, "full.gdbbak")
	out = runOK(t, bin, "full backup written to "+full, "backup", "--data-dir", data, "--out", full)
	require.Contains(t, out, "sha256:")

	p = testutil.StartProcess(t, bin, data)
	db = testutil.Connect(t, p.MySQLAddr)
	exec1(t, db,
		"UPDATE shop.items SET name = 'green apple' WHERE id = 1",
		"DELETE FROM shop.items WHERE id = 2",
		"INSERT INTO shop.items VALUES (4,'fig')",
	)
	wantIncr := items(t, db)
	p.Stop()
	incr := filepath.Join(work, "incr.gdbbak")
	runOK(t, bin, "incremental backup written", "backup", "--data-dir", data, "--out", incr, "--incremental-since", full)

	// --out - writes the backup to stdout and the summary to stderr.
	stdoutFile := filepath.Join(work, "stdout.gdbbak")
	f, err := os.Create(stdoutFile)
	require.NoError(t, err)
	cmd := exec.Command(bin, "backup", "--data-dir", data, "--out", "-")
	cmd.Env = testutil.CleanEnv()
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = f, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	require.NoError(t, f.Close())
	require.Contains(t, stderr.String(), "full backup written to stdout")

	runOK(t, bin, "no problems found", "check", "--data-dir", data)

	for _, tt := range []struct {
		name string
		in   []string
		want []string
	}{
		{"full", []string{full}, wantFull},
		{"full and incremental", []string{full, incr}, wantIncr},
		{"from stdout", []string{stdoutFile}, wantIncr},
		{"online", []string{online}, wantFull},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "restored")
			args := []string{"restore", "--data-dir", target}
			for _, in := range tt.in {
				args = append(args, "--in", in)
			}
			runOK(t, bin, "restored", args...)
			runOK(t, bin, "no problems found", "check", "--data-dir", target)
			p := testutil.StartProcess(t, bin, target)
			require.Equal(t, tt.want, items(t, testutil.Connect(t, p.MySQLAddr)))
			p.Stop()
		})
	}
}

// TestBackupRestoreRefusals runs every kind of bad input through the
// binary: each gets exit code 1 (2 for usage) and a message naming the
// problem, never a panic, and a refused restore leaves nothing behind.
func TestBackupRestoreRefusals(t *testing.T) {
	bin := testutil.BuildBinary(t)
	work := t.TempDir()
	data := filepath.Join(work, "data")
	p := testutil.StartProcess(t, bin, data)
	exec1(t, testutil.Connect(t, p.MySQLAddr), "CREATE DATABASE shop", "CREATE TABLE shop.t (id INT PRIMARY KEY)", "INSERT INTO shop.t VALUES (1)")
	p.Stop()
	full := filepath.Join(work, "full")
	runOK(t, bin, "full backup", "backup", "--data-dir", data, "--out", full)
	other := filepath.Join(work, "other")
	runOK(t, bin, "full backup", "backup", "--data-dir", data, "--out", other)
	incrOfOther := filepath.Join(work, "incr-of-other")
	runOK(t, bin, "incremental backup", "backup", "--data-dir", data, "--out", incrOfOther, "--incremental-since", other)

	good, err := os.ReadFile(full)
	require.NoError(t, err)
	write := func(name string, b []byte) string {
		path := filepath.Join(work, name)
		require.NoError(t, os.WriteFile(path, b, 0o600))
		return path
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x01
	truncated := write("truncated", good[:len(good)*2/3])
	flippedFile := write("flipped", flipped)
	foreign := write("foreign.sql", []byte("-- MySQL dump\nCREATE TABLE t (a INT);\n"))
	nonEmpty := filepath.Join(work, "nonempty")
	require.NoError(t, os.MkdirAll(nonEmpty, 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(nonEmpty, "x"), nil, 0o600))
	fresh := func() string { return filepath.Join(t.TempDir(), "r") }

	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"restore into a non-empty directory", []string{"restore", "--in", full, "--data-dir", nonEmpty}, 1, []string{"not empty", nonEmpty}},
		{"restore of a truncated file", []string{"restore", "--in", truncated, "--data-dir", fresh()}, 1, []string{truncated, "truncated"}},
		{"restore of a flipped byte", []string{"restore", "--in", flippedFile, "--data-dir", fresh()}, 1, []string{flippedFile, "checksum mismatch"}},
		{"restore of a foreign file", []string{"restore", "--in", foreign, "--data-dir", fresh()}, 1, []string{foreign, "not a guocedb backup"}},
		{"restore of a missing file", []string{"restore", "--in", filepath.Join(work, "nope"), "--data-dir", fresh()}, 1, []string{"nope", "no such file"}},
		{"incremental on the wrong base", []string{"restore", "--in", full, "--in", incrOfOther, "--data-dir", fresh()}, 1, []string{"do not form a chain", "was taken since backup"}},
		{"incremental alone", []string{"restore", "--in", incrOfOther, "--data-dir", fresh()}, 1, []string{"first file must be a full backup"}},
		{"incremental since a foreign file", []string{"backup", "--data-dir", data, "--out", filepath.Join(work, "x"), "--incremental-since", foreign}, 1, []string{"not a guocedb backup"}},
		{"backup of a missing directory", []string{"backup", "--data-dir", filepath.Join(work, "missing"), "--out", filepath.Join(work, "y")}, 1, []string{"missing", "no such file"}},
		{"backup of a directory that is not a data directory", []string{"backup", "--data-dir", nonEmpty, "--out", filepath.Join(work, "y")}, 1, []string{"not a guocedb data directory"}},
		{"backup over an existing file", []string{"backup", "--data-dir", data, "--out", full}, 1, []string{"already exists"}},
		{"online backup of a server that is not running", []string{"backup", "--server", "127.0.0.1:1", "--out", filepath.Join(work, "z")}, 1, []string{"admin API at 127.0.0.1:1", "is guocedb running"}},
		{"check of a missing directory", []string{"check", "--data-dir", filepath.Join(work, "missing")}, 1, []string{"no such file"}},
		{"backup with two sources", []string{"backup", "--data-dir", data, "--server", "127.0.0.1:1", "--out", "x"}, 2, []string{"not both"}},
		{"backup without --out", []string{"backup", "--data-dir", data}, 2, []string{"--out FILE is required"}},
		{"restore without --in", []string{"restore", "--data-dir", fresh()}, 2, []string{"--in FILE is required"}},
		{"restore without --data-dir", []string{"restore", "--in", full}, 2, []string{"--data-dir DIR is required"}},
		{"check without --data-dir", []string{"check"}, 2, []string{"--data-dir DIR is required"}},
		{"check with an argument", []string{"check", "--data-dir", data, "extra"}, 2, []string{`unexpected argument "extra"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := testutil.Run(t, bin, nil, tt.args...)
			require.Equal(t, tt.code, code, "output:\n%s", out)
			for _, w := range tt.want {
				require.Contains(t, out, w)
			}
			require.NotContains(t, out, "panic")
			require.NotContains(t, out, "goroutine")
		})
	}
	ents, err := os.ReadDir(work)
	require.NoError(t, err)
	for _, e := range ents {
		require.False(t, strings.HasPrefix(e.Name(), "."), "temporary file left behind: %s", e.Name())
	}
	nonEmptyEnts, _ := os.ReadDir(nonEmpty)
	require.Len(t, nonEmptyEnts, 1, "a refused restore leaves the target alone")
}

// TestCheckCommand checks a healthy directory, then one whose index lost
// an entry (deleted directly through storage, per docs/storage.md).
func TestCheckCommand(t *testing.T) {
	bin := testutil.BuildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	p := testutil.StartProcess(t, bin, data)
	exec1(t, testutil.Connect(t, p.MySQLAddr),
		"CREATE DATABASE shop",
		"CREATE TABLE shop.items (id BIGINT PRIMARY KEY, name VARCHAR(50) NOT NULL, UNIQUE KEY by_name (name))",
		"INSERT INTO shop.items VALUES (1,'apple'),(2,'pear')",
	)
	p.Stop()
	out := runOK(t, bin, "no problems found", "check", "--data-dir", data)
	require.Contains(t, out, "checked 1 databases, 1 tables, 1 indexes: 2 rows, 2 index entries")
	require.Regexp(t, `checked the commit log: 1 segments, \d+ bytes, checkpoint at entry \d+, 0 entries after it, all applied`, out)

	s, err := storage.Open(data, storage.DefaultOptions(), nil)
	require.NoError(t, err)
	txn := s.Begin()
	raw, ok, err := txn.Get([]byte("ctbl/shop\x00items"))
	require.NoError(t, err)
	require.True(t, ok)
	var def struct {
		ID      uint64 `json:"id"`
		Indexes []struct {
			ID uint32 `json:"id"`
		} `json:"indexes"`
	}
	require.NoError(t, json.Unmarshal(raw, &def))
	prefix := binary.BigEndian.AppendUint32(append(binary.BigEndian.AppendUint64([]byte{'t'}, def.ID), 'i'), def.Indexes[0].ID)
	it, err := txn.NewIterator(storage.IterOptions{Start: prefix, End: append(append([]byte(nil), prefix...), 0xff)})
	require.NoError(t, err)
	require.True(t, it.Valid())
	victim := append([]byte(nil), it.Key()...)
	it.Close()
	txn.Discard()
	require.NoError(t, s.DirectCommit(context.Background(), &storage.WriteSet{Mutations: []storage.Mutation{{Key: victim, Delete: true}}}))
	require.NoError(t, s.Close())

	code, out := testutil.Run(t, bin, nil, "check", "--data-dir", data)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "problem: missing-index-entry in shop.items index by_name: row has no entry in the index")
	require.Contains(t, out, "1 problems found")
}

// TestOfflineCommandsOnACrashedDirectory: after kill -9 the directory's
// log must be replayed by a read-write open; backup and check, which open
// read-only, say so, and work once a server has started and stopped.
func TestOfflineCommandsOnACrashedDirectory(t *testing.T) {
	bin := testutil.BuildBinary(t)
	work := t.TempDir()
	data := filepath.Join(work, "data")
	p := testutil.StartProcess(t, bin, data)
	exec1(t, testutil.Connect(t, p.MySQLAddr), "CREATE DATABASE shop", "CREATE TABLE shop.t (id INT PRIMARY KEY)", "INSERT INTO shop.t VALUES (1)")
	p.Kill9()
	for _, args := range [][]string{
		{"backup", "--data-dir", data, "--out", filepath.Join(work, "b")},
		{"check", "--data-dir", data},
	} {
		code, out := testutil.Run(t, bin, nil, args...)
		require.Equal(t, 1, code, out)
		require.Contains(t, out, "not closed cleanly: start guocedb on it once and stop it")
	}
	testutil.StartProcess(t, bin, data).Stop()
	runOK(t, bin, "full backup written", "backup", "--data-dir", data, "--out", filepath.Join(work, "b"))
	runOK(t, bin, "no problems found", "check", "--data-dir", data)
}

// TestOnlineBackupCommandUnderLoad: while a client commits numbered
// transactions over the wire, `guocedb backup --server` takes a full and
// then an incremental backup of the running server; the chain restores
// into a new directory whose server holds a prefix of the transactions
// (one writer commits in order), including every one acknowledged before
// the incremental began and none begun after it ended, each whole.
func TestOnlineBackupCommandUnderLoad(t *testing.T) {
	bin := testutil.BuildBinary(t)
	work := t.TempDir()
	p := testutil.StartProcess(t, bin, filepath.Join(work, "data"))
	db := testutil.Connect(t, p.MySQLAddr)
	exec1(t, db, "CREATE DATABASE shop",
		"CREATE TABLE shop.a (n BIGINT PRIMARY KEY)",
		"CREATE TABLE shop.b (n BIGINT PRIMARY KEY, note VARCHAR(20) NOT NULL, KEY by_note (note))")

	const maxTxns = 20000
	ctx, stop := context.WithTimeout(context.Background(), 60*time.Second)
	defer stop()
	var acked, tried atomic.Int64
	loadErr := make(chan error, 1)
	go func() {
		for n := int64(1); n <= maxTxns && ctx.Err() == nil; n++ {
			tried.Store(n)
			tx, err := db.Begin()
			if err == nil {
				_, err = tx.Exec("INSERT INTO shop.a VALUES (?)", n)
			}
			if err == nil {
				_, err = tx.Exec("INSERT INTO shop.b VALUES (?, 'note')", n)
			}
			if err == nil {
				err = tx.Commit()
			}
			if err != nil {
				loadErr <- err
				return
			}
			acked.Store(n)
		}
		loadErr <- nil
	}()
	waitAcked := func(n int64) {
		for acked.Load() < n && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitAcked(50)
	full := filepath.Join(work, "full")
	runOK(t, bin, "full backup written", "backup", "--server", p.AdminAddr, "--out", full)
	waitAcked(acked.Load() + 50)
	before := acked.Load()
	incr := filepath.Join(work, "incr")
	runOK(t, bin, "incremental backup written", "backup", "--server", p.AdminAddr, "--out", incr, "--incremental-since", full)
	after := tried.Load()
	waitAcked(after + 20)
	stop()
	require.NoError(t, <-loadErr)
	p.Stop()

	target := filepath.Join(work, "restored")
	runOK(t, bin, "restored 2 backup file(s)", "restore", "--in", full, "--in", incr, "--data-dir", target)
	runOK(t, bin, "no problems found", "check", "--data-dir", target)
	r := testutil.StartProcess(t, bin, target)
	rdb := testutil.Connect(t, r.MySQLAddr)
	var got []int64
	for _, q := range []string{"SELECT n FROM shop.a ORDER BY n", "SELECT n FROM shop.b ORDER BY n", "SELECT n FROM shop.b WHERE note = 'note' ORDER BY n"} {
		rows, err := rdb.Query(q)
		require.NoError(t, err)
		got = got[:0]
		for rows.Next() {
			var n int64
			require.NoError(t, rows.Scan(&n))
			got = append(got, n)
		}
		require.NoError(t, rows.Close())
		require.GreaterOrEqual(t, int64(len(got)), before, "%s: every transaction acknowledged before the backup is in it", q)
		require.LessOrEqual(t, int64(len(got)), after, "%s: none begun after the backup ended", q)
		for i, n := range got {
			require.Equal(t, int64(i+1), n, "%s: the restore holds a prefix of the commits", q)
		}
	}
	t.Logf("restored %d of %d transactions (acknowledged before the incremental: %d, begun before it ended: %d)", len(got), acked.Load(), before, after)
	r.Stop()
}

// TestOnlineIncrementalRecordsItsBase takes two full online backups and
// an online incremental on the first: its manifest names the first's id,
// and a restore onto the second is refused naming both ids. A third full
// backup with the first's timestamp (an offline backup of the first's
// restored copy) is refused by id alone: by timestamps, and by the keys
// the incremental lists as unchanged, it fits. A base file whose id was
// mangled is refused by the server before any byte is written.
func TestOnlineIncrementalRecordsItsBase(t *testing.T) {
	bin := testutil.BuildBinary(t)
	work := t.TempDir()
	p := testutil.StartProcess(t, bin, filepath.Join(work, "data"))
	db := testutil.Connect(t, p.MySQLAddr)
	exec1(t, db,
		"CREATE DATABASE shop",
		"CREATE TABLE shop.items (id BIGINT PRIMARY KEY, name VARCHAR(50) NOT NULL, KEY by_name (name))",
		"INSERT INTO shop.items VALUES (1,'apple'),(2,'pear')",
	)
	fullA, fullB := filepath.Join(work, "full-a"), filepath.Join(work, "full-b")
	runOK(t, bin, "full backup written", "backup", "--server", p.AdminAddr, "--out", fullA)
	runOK(t, bin, "full backup written", "backup", "--server", p.AdminAddr, "--out", fullB)
	ma, err := backup.ReadManifestFile(fullA)
	require.NoError(t, err)
	mb, err := backup.ReadManifestFile(fullB)
	require.NoError(t, err)
	require.NotEqual(t, ma.ID, mb.ID)
	copyOfA := filepath.Join(work, "copy-of-a")
	runOK(t, bin, "restored", "restore", "--in", fullA, "--data-dir", copyOfA)
	fullC := filepath.Join(work, "full-c")
	runOK(t, bin, "full backup written", "backup", "--data-dir", copyOfA, "--out", fullC)
	mc, err := backup.ReadManifestFile(fullC)
	require.NoError(t, err)
	require.Equal(t, ma.SnapshotTs, mc.SnapshotTs, "the restored copy's data ends at the backup's snapshot")
	require.NotEqual(t, ma.ID, mc.ID)

	exec1(t, db, "UPDATE shop.items SET name = 'green apple' WHERE id = 1", "INSERT INTO shop.items VALUES (3,'fig')")
	want := items(t, db)
	incr := filepath.Join(work, "incr")
	code, out := testutil.Run(t, bin, nil, "backup", "--server", p.AdminAddr, "--out", incr, "--incremental-since", fullA)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, fmt.Sprintf("base:             %s (snapshot ts %d)", ma.ID, ma.SnapshotTs))
	require.NotContains(t, out, "not recorded")
	require.NotContains(t, out, "note:")
	mi, err := backup.ReadManifestFile(incr)
	require.NoError(t, err)
	require.Equal(t, ma.ID, mi.BaseID)

	// The base's header with its id in upper case: well-formed JSON, a
	// malformed id, which the server refuses (InvalidArgument).
	raw, err := os.ReadFile(fullA)
	require.NoError(t, err)
	mangled := filepath.Join(work, "mangled-base")
	require.NoError(t, os.WriteFile(mangled, bytes.Replace(raw, []byte(ma.ID), []byte(strings.ToUpper(ma.ID)), 1), 0o600))
	refused := filepath.Join(work, "refused")
	code, out = testutil.Run(t, bin, nil, "backup", "--server", p.AdminAddr, "--out", refused, "--incremental-since", mangled)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "invalid_argument")
	require.Contains(t, out, "is not a backup id")
	require.NoFileExists(t, refused)
	p.Stop()

	for _, wrong := range []struct{ file, id string }{{fullB, mb.ID}, {fullC, mc.ID}} {
		target := filepath.Join(work, "wrong")
		code, out = testutil.Run(t, bin, nil, "restore", "--in", wrong.file, "--in", incr, "--data-dir", target)
		require.Equal(t, 1, code, out)
		for _, w := range []string{"do not form a chain", incr, "since backup " + ma.ID, wrong.file, "is backup " + wrong.id} {
			require.Contains(t, out, w)
		}
		require.NoDirExists(t, target)
	}

	target := filepath.Join(work, "restored")
	runOK(t, bin, "restored 2 backup file(s)", "restore", "--in", fullA, "--in", incr, "--data-dir", target)
	r := testutil.StartProcess(t, bin, target)
	require.Equal(t, want, items(t, testutil.Connect(t, r.MySQLAddr)))
	r.Stop()
}
