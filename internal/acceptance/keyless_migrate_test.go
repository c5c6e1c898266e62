package acceptance

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/storage"
)

// Format-1 keyless layout, as the old code wrote it (docs/storage.md,
// "Tables without a primary key"): row key t<table id>r<hash><hidden id>
// with an 8-byte hash of the encoded row under a per-process random seed,
// secondary index entries pointing at that 16-byte suffix, no lookup
// index, no row id reservation.
const (
	oldFormat      = 1
	lookupIndexHex = 0xFFFFFFFF
	migrationID    = "0003-keyless-row-ids"
)

// downgradeKeyless rewrites the keyless tables named in tables (db k) from
// the current layout to format 1, as if an old build had written them.
// oldIDs gives, in scan order, each row's old hidden id; keep limits how
// many rows stay in the new layout (a migration interrupted half way).
func downgradeKeyless(t *testing.T, dir string, table string, oldIDs []uint64, keep int) {
	t.Helper()
	s, err := storage.Open(dir, storage.DefaultOptions(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	txn := s.Begin()
	defer txn.Discard()

	raw, ok, err := txn.Get([]byte("ctbl/k\x00" + table))
	require.NoError(t, err)
	require.True(t, ok, table)
	var def struct {
		ID      uint64 `json:"id"`
		Indexes []struct {
			ID     uint32 `json:"id"`
			Unique bool   `json:"unique"`
		} `json:"indexes"`
	}
	require.NoError(t, json.Unmarshal(raw, &def))
	data := binary.BigEndian.AppendUint64([]byte{'t'}, def.ID)
	rowP := append(bytes.Clone(data), 'r')
	seed := maphash.MakeSeed()

	var ws storage.WriteSet
	put := func(k, v []byte) { ws.Mutations = append(ws.Mutations, storage.Mutation{Key: k, Value: v}) }
	del := func(k []byte) { ws.Mutations = append(ws.Mutations, storage.Mutation{Key: k, Delete: true}) }

	// Rows: new id -> old 16-byte suffix.
	oldPK := map[string][]byte{}
	it, err := txn.NewIterator(storage.IterOptions{Start: rowP, End: append(bytes.Clone(data), 'r'+1)})
	require.NoError(t, err)
	i := 0
	for ; it.Valid(); it.Next() {
		require.Len(t, it.Key(), len(rowP)+8, "row keys are in the new layout")
		if i < keep {
			i++
			continue
		}
		id := bytes.Clone(it.Key()[len(rowP):])
		old := binary.BigEndian.AppendUint64(nil, maphash.Bytes(seed, it.Value()))
		old = binary.BigEndian.AppendUint64(old, oldIDs[i])
		oldPK[string(id)] = old
		del(bytes.Clone(it.Key()))
		put(append(bytes.Clone(rowP), old...), bytes.Clone(it.Value()))
		i++
	}
	require.NoError(t, it.Err())
	it.Close()
	require.Len(t, oldIDs, i, "one old id per row")

	// Index entries of the moved rows; the lookup entries of the moved
	// rows go (format 1 had none).
	idxP := append(bytes.Clone(data), 'i')
	unique := map[uint32]bool{}
	for _, ix := range def.Indexes {
		unique[ix.ID] = ix.Unique
	}
	it, err = txn.NewIterator(storage.IterOptions{Start: idxP, End: append(bytes.Clone(data), 'i'+1)})
	require.NoError(t, err)
	for ; it.Valid(); it.Next() {
		k := bytes.Clone(it.Key())
		ixID := binary.BigEndian.Uint32(k[len(idxP):])
		if ixID == lookupIndexHex {
			if _, moved := oldPK[string(k[len(k)-8:])]; moved {
				del(k)
			}
			continue
		}
		id := string(it.Value())
		old, moved := oldPK[id]
		if !moved {
			continue
		}
		// A unique entry without NULL keys on the values alone; with a
		// NULL it ends with the row's key, as a non-unique one does.
		if unique[ixID] && !bytes.HasSuffix(k, []byte(id)) {
			put(k, old)
			continue
		}
		require.True(t, bytes.HasSuffix(k, []byte(id)))
		del(k)
		put(append(bytes.Clone(k[:len(k)-8]), old...), old)
	}
	require.NoError(t, it.Err())
	it.Close()

	del(append(binary.BigEndian.AppendUint64([]byte{'a'}, def.ID), 'r'))
	del([]byte("\x00meta/migration/" + migrationID))
	// A format-1 build knew no later migration either (format 4, the
	// commit log, applies again and raises the format back).
	del([]byte("\x00meta/migration/0004-commit-log"))
	put([]byte("\x00meta/format"), binary.BigEndian.AppendUint64(nil, oldFormat))
	require.NoError(t, s.DirectCommit(context.Background(), &ws))
}

// TestKeylessMigration opens a directory whose keyless tables are in the
// format-1 layout, and checks that every row is found by UPDATE and DELETE
// afterwards, identical rows included, with the insertion order the old
// hidden ids recorded, and that the format version is raised.
func TestKeylessMigration(t *testing.T) {
	dir := t.TempDir()
	phase(t, dir, "write", func(t *testing.T, _ string, db *sql.DB) {
		mustExec(t, db, "CREATE DATABASE k")
		mustExec(t, db, "CREATE TABLE k.t (a INT, b VARCHAR(10), KEY (b))")
		mustExec(t, db, "INSERT INTO k.t VALUES (1,'x'),(2,'y'),(3,'z'),(2,'y'),(4,NULL)")
		mustExec(t, db, "CREATE TABLE k.u (id INT NOT NULL, v VARCHAR(10), UNIQUE KEY (id))")
		mustExec(t, db, "INSERT INTO k.u VALUES (1,'a'),(2,'b'),(3,'c'),(4,'d')")
		mustExec(t, db, "CREATE TABLE k.e (a INT)")
		mustExec(t, db, "CREATE TABLE k.un (x INT, UNIQUE KEY (x))")
		mustExec(t, db, "INSERT INTO k.un VALUES (NULL),(1),(NULL),(2)")
	})
	// Old hidden ids: the third and fourth row of t share one (the clock
	// went back between two processes); the first row of u stays in the
	// new layout (a crash interrupted the migration after it).
	base := uint64(1_700_000_000_000_000_000)
	downgradeKeyless(t, dir, "t", []uint64{base + 10, base + 20, base + 30, base + 30, base + 40}, 0)
	downgradeKeyless(t, dir, "u", []uint64{0, base + 1, base + 2, base + 3}, 1)
	downgradeKeyless(t, dir, "un", []uint64{base + 5, base + 6, base + 7, base + 8}, 0)
	func() {
		// Read-only: a read-write open would apply the storage's own
		// migrations (0004-commit-log raises the format).
		s, err := storage.OpenReadOnly(dir, nil)
		require.NoError(t, err)
		defer func() { require.NoError(t, s.Close()) }()
		v, err := s.FormatOf()
		require.NoError(t, err)
		require.EqualValues(t, oldFormat, v)
	}()

	var want [][]string // k.t after the changes of the "migrated" phase
	phase(t, dir, "migrated", func(t *testing.T, _ string, db *sql.DB) {
		// Of the two rows with one old id, the one whose old key sorts
		// first (by the old random hash) keeps it; the other comes last.
		rows := queryRows(t, db, "SELECT * FROM k.t")
		require.Len(t, rows, 5)
		require.Equal(t, [][]string{{"1", "x"}, {"2", "y"}}, rows[:2])
		require.Equal(t, []string{"4", null}, rows[3])
		require.ElementsMatch(t, [][]string{{"3", "z"}, {"2", "y"}}, [][]string{rows[2], rows[4]})
		want = [][]string{{"1", "w"}, rows[2], {"5", null}, rows[4], {"6", "n"}}
		require.Equal(t, [][]string{{"2", "y"}, {"2", "y"}}, queryRows(t, db, "SELECT * FROM k.t WHERE b='y'"))
		res := mustExec(t, db, "DELETE FROM k.t WHERE a=2 LIMIT 1")
		n, err := res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		mustExec(t, db, "UPDATE k.t SET b='w' WHERE a=1")
		mustExec(t, db, "UPDATE k.t SET a=5 WHERE b IS NULL")
		mustExec(t, db, "INSERT INTO k.t VALUES (6,'n')")
		require.Equal(t, want, queryRows(t, db, "SELECT * FROM k.t"))
		require.Equal(t, [][]string{{"1", "w"}}, queryRows(t, db, "SELECT * FROM k.t WHERE b='w'"))
		require.Equal(t, [][]string{}, queryRows(t, db, "SELECT * FROM k.t WHERE b='x'"))

		require.Equal(t, [][]string{{"1", "a"}, {"2", "b"}, {"3", "c"}, {"4", "d"}}, queryRows(t, db, "SELECT * FROM k.u"))
		requireErrCode(t, execErr(db, "INSERT INTO k.u VALUES (3,'dup')"), 1062)
		mustExec(t, db, "UPDATE k.u SET v='bb' WHERE id=2")
		mustExec(t, db, "DELETE FROM k.u WHERE id=3")
		mustExec(t, db, "INSERT INTO k.u VALUES (3,'cc') ON DUPLICATE KEY UPDATE v='no'")
		mustExec(t, db, "INSERT INTO k.u VALUES (4,'x') ON DUPLICATE KEY UPDATE v='dd'")
		require.Equal(t, [][]string{{"1", "a"}, {"2", "bb"}, {"4", "dd"}, {"3", "cc"}}, queryRows(t, db, "SELECT * FROM k.u"))
		require.Equal(t, [][]string{}, queryRows(t, db, "SELECT * FROM k.e"))

		require.Equal(t, [][]string{{null}, {"1"}, {null}, {"2"}}, queryRows(t, db, "SELECT * FROM k.un"))
		requireErrCode(t, execErr(db, "INSERT INTO k.un VALUES (2)"), 1062)
		mustExec(t, db, "INSERT INTO k.un VALUES (NULL)")
		res = mustExec(t, db, "DELETE FROM k.un WHERE x IS NULL LIMIT 2")
		n, err = res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		mustExec(t, db, "UPDATE k.un SET x = 3 WHERE x = 1")
		require.Equal(t, [][]string{{"3"}, {"2"}, {null}}, queryRows(t, db, "SELECT * FROM k.un"))
		require.Equal(t, [][]string{{null}}, queryRows(t, db, "SELECT * FROM k.un WHERE x IS NULL"))
	})
	phase(t, dir, "again", func(t *testing.T, _ string, db *sql.DB) {
		require.Equal(t, want, queryRows(t, db, "SELECT * FROM k.t"))
		mustExec(t, db, "DELETE FROM k.t WHERE a > 0")
		require.Equal(t, "0", queryValue(t, db, "SELECT COUNT(*) FROM k.t"))
		require.Equal(t, [][]string{{"1", "a"}, {"2", "bb"}, {"4", "dd"}, {"3", "cc"}}, queryRows(t, db, "SELECT * FROM k.u"))
	})

	s, err := storage.Open(dir, storage.DefaultOptions(), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	v, err := s.FormatOf()
	require.NoError(t, err)
	require.EqualValues(t, storage.FormatVersion, v)
	applied, err := s.AppliedMigrations()
	require.NoError(t, err)
	require.Contains(t, applied, migrationID)
}

// TestKeylessMigrationBatches migrates a table larger than one migration
// batch (about 4 MB of writes), so the migration resumes its scan after
// each commit.
func TestKeylessMigrationBatches(t *testing.T) {
	const n = 12_000
	dir := t.TempDir()
	pad := strings.Repeat("p", 300)
	phase(t, dir, "write", func(t *testing.T, _ string, db *sql.DB) {
		mustExec(t, db, "CREATE DATABASE k")
		mustExec(t, db, "CREATE TABLE k.big (a INT, pad VARCHAR(400), KEY (a))")
		for lo := 0; lo < n; lo += 1000 {
			var sb strings.Builder
			sb.WriteString("INSERT INTO k.big VALUES ")
			for i := lo; i < lo+1000; i++ {
				if i > lo {
					sb.WriteByte(',')
				}
				fmt.Fprintf(&sb, "(%d,'%s')", i, pad)
			}
			mustExec(t, db, sb.String())
		}
	})
	old := make([]uint64, n)
	for i := range old {
		old[i] = 1_600_000_000_000_000_000 + uint64(i)*7
	}
	downgradeKeyless(t, dir, "big", old, 0)
	phase(t, dir, "migrated", func(t *testing.T, _ string, db *sql.DB) {
		require.Equal(t, fmt.Sprint(n), queryValue(t, db, "SELECT COUNT(*) FROM k.big"))
		require.Equal(t, [][]string{{"0"}, {"1"}, {"2"}}, queryRows(t, db, "SELECT a FROM k.big LIMIT 3"))
		require.Equal(t, fmt.Sprint(n-1), queryValue(t, db, "SELECT a FROM k.big WHERE a = ?", n-1))
		// Every row is found by its values (the lookup entries) and by the
		// secondary index (entries pointing at the new row ids).
		res := mustExec(t, db, "DELETE FROM k.big WHERE a % 3 = 0")
		deleted, err := res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, n/3, deleted)
		res = mustExec(t, db, "UPDATE k.big SET pad = 'u' WHERE a BETWEEN 1000 AND 1999")
		updated, err := res.RowsAffected()
		require.NoError(t, err)
		require.EqualValues(t, 667, updated)
		mustExec(t, db, "INSERT INTO k.big VALUES (-1, 'last')")
	})
	phase(t, dir, "again", func(t *testing.T, _ string, db *sql.DB) {
		require.Equal(t, fmt.Sprint(n-n/3+1), queryValue(t, db, "SELECT COUNT(*) FROM k.big"))
		require.Equal(t, "667", queryValue(t, db, "SELECT COUNT(*) FROM k.big WHERE pad = 'u'"))
		require.Equal(t, "0", queryValue(t, db, "SELECT COUNT(*) FROM k.big WHERE a = 3"))
		require.Equal(t, [][]string{{"1"}, {"2"}, {"4"}}, queryRows(t, db, "SELECT a FROM k.big LIMIT 3"))
		rows := queryRows(t, db, "SELECT a FROM k.big")
		require.Equal(t, []string{"-1"}, rows[len(rows)-1], "a new row comes after the migrated ones")
	})
}

// TestKeylessConcurrentInserts: concurrent inserters get distinct row ids
// (no row lost or overwritten), and every row is found by its values.
func TestKeylessConcurrentInserts(t *testing.T) {
	const workers, per = 4, 150
	_, db := start(t)
	mustExec(t, db, "CREATE DATABASE k")
	mustExec(t, db, "CREATE TABLE k.c (w INT, i INT)")
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				// Every worker inserts the same rows: identical rows from
				// several transactions at once.
				if err := execErr(db, "INSERT INTO k.c VALUES (0, ?)", i); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, fmt.Sprint(workers*per), queryValue(t, db, "SELECT COUNT(*) FROM k.c"))
	res := mustExec(t, db, "DELETE FROM k.c WHERE i < 50 LIMIT 100")
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 100, n)
	require.Equal(t, fmt.Sprint(workers*per-100), queryValue(t, db, "SELECT COUNT(*) FROM k.c"))
	require.Equal(t, fmt.Sprint(workers*50-100), queryValue(t, db, "SELECT COUNT(*) FROM k.c WHERE i < 50"))
}
