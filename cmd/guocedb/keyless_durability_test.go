package main

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// TestKeylessKill9 checks a table without a primary key across kill -9:
// every committed row is there, in insertion order, found by UPDATE and
// DELETE (identical rows included), and rows inserted after the restart
// come after the earlier ones (the row id counter never goes back).
func TestKeylessKill9(t *testing.T) {
	bin := testutil.BuildBinary(t)
	dataDir := t.TempDir()

	p := testutil.StartProcess(t, bin, dataDir)
	db := testutil.Connect(t, p.MySQLAddr)
	_, err := db.Exec("CREATE DATABASE k; CREATE TABLE k.t (n INT, v VARCHAR(20), KEY (v))")
	require.NoError(t, err)
	var want [][2]string
	for i := 0; i < 300; i++ {
		// Every tenth row repeats the one before it: identical rows.
		n, v := i, fmt.Sprintf("v%d", i)
		if i%10 == 9 {
			n, v = i-1, fmt.Sprintf("v%d", i-1)
		}
		_, err := db.Exec("INSERT INTO k.t VALUES (?, ?)", n, v)
		require.NoError(t, err)
		want = append(want, [2]string{fmt.Sprint(n), v})
	}
	p.Kill9()
	_ = db.Close()

	p = testutil.StartProcess(t, bin, dataDir)
	db = testutil.Connect(t, p.MySQLAddr)
	require.Equal(t, want, keylessRows(t, db))
	// One of the two identical rows (8, 'v8').
	res, err := db.Exec("DELETE FROM k.t WHERE n = 8 LIMIT 1")
	require.NoError(t, err)
	affected, err := res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 1, affected)
	want = append(want[:8], want[9:]...)
	res, err = db.Exec("UPDATE k.t SET v = 'changed' WHERE n = 0")
	require.NoError(t, err)
	affected, err = res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 1, affected)
	want[0][1] = "changed"
	_, err = db.Exec("DELETE FROM k.t WHERE n >= 290")
	require.NoError(t, err)
	want = want[:len(want)-10]
	_, err = db.Exec("INSERT INTO k.t VALUES (1000, 'after')")
	require.NoError(t, err)
	want = append(want, [2]string{"1000", "after"})
	p.Kill9()
	_ = db.Close()

	p = testutil.StartProcess(t, bin, dataDir)
	db = testutil.Connect(t, p.MySQLAddr)
	_, err = db.Exec("INSERT INTO k.t VALUES (1001, 'later')")
	require.NoError(t, err)
	want = append(want, [2]string{"1001", "later"})
	require.Equal(t, want, keylessRows(t, db))
	var c int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM k.t WHERE v = 'v8'").Scan(&c))
	require.Equal(t, 1, c)
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM k.t WHERE v = 'v0'").Scan(&c))
	require.Equal(t, 0, c)
	require.NoError(t, db.Close())
	p.Stop()
}

// keylessRows returns k.t in scan order (no ORDER BY: the order is the
// point).
func keylessRows(t *testing.T, db *sql.DB) [][2]string {
	t.Helper()
	rows, err := db.Query("SELECT n, v FROM k.t")
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	var out [][2]string
	for rows.Next() {
		var r [2]string
		require.NoError(t, rows.Scan(&r[0], &r[1]))
		out = append(out, r)
	}
	require.NoError(t, rows.Err())
	return out
}
