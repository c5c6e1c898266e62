package backup_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/backup"
	"github.com/guocedb/guocedb/internal/mysqlserver"
	"github.com/guocedb/guocedb/internal/storage"
	"github.com/guocedb/guocedb/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testutil.RunMain(m)) }

// rowVersions returns, for a table whose primary key is one BIGINT, each
// stored key's value and the commit timestamp that wrote it, read from the
// store per docs/storage.md (ctbl/<db>\x00<table> holds the table id; rows
// are t<id>r<key>, a BIGINT key is 0x18 and 8 bytes with the sign flipped).
func rowVersions(t *testing.T, s *storage.Store, db, table string) map[int64]uint64 {
	t.Helper()
	txn := s.Begin()
	raw, ok, err := txn.Get([]byte("ctbl/" + db + "\x00" + table))
	txn.Discard()
	require.NoError(t, err)
	require.True(t, ok)
	var def struct {
		ID uint64 `json:"id"`
	}
	require.NoError(t, json.Unmarshal(raw, &def))
	prefix := append(binary.BigEndian.AppendUint64([]byte{'t'}, def.ID), 'r', 0x18)
	out := map[int64]uint64{}
	sn := snapshot(t, s)
	defer sn.Close()
	require.NoError(t, sn.Scan(context.Background(), func(e storage.SnapshotEntry) error {
		k := e.Key()
		if len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix) {
			out[int64(binary.BigEndian.Uint64(k[len(prefix):])^1<<63)] = e.Version()
		}
		return nil
	}))
	return out
}

func queryInts(t *testing.T, db *sql.DB, q string) []int64 {
	t.Helper()
	rows, err := db.Query(q)
	require.NoError(t, err)
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		require.NoError(t, rows.Scan(&n))
		out = append(out, n)
	}
	require.NoError(t, rows.Err())
	return out
}

// TestOnlineBackupUnderSQLLoad is the acceptance test of issue 4: a
// client commits numbered transactions over the wire (each inserts n into
// two tables, one of them indexed) while a backup of the serving store is
// taken, as the admin API will take it. The backup is restored into a new
// directory, checked with `guocedb check`, and served by the real binary:
// over the wire it holds exactly the transactions whose commit timestamp
// is at or below the snapshot's, each one whole.
func TestOnlineBackupUnderSQLLoad(t *testing.T) {
	bin := testutil.BuildBinary(t)
	store := openStore(t, t.TempDir())
	srv, err := mysqlserver.New(mysqlserver.Config{Addr: "127.0.0.1:0", Version: "test", ShutdownTimeout: 10 * time.Second}, store, nil)
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	db, err := sql.Open("mysql", testutil.DSN("root", "", srv.Addr().String(), ""))
	require.NoError(t, err)
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.a (n BIGINT PRIMARY KEY)",
		"CREATE TABLE shop.b (n BIGINT PRIMARY KEY, note VARCHAR(20) NOT NULL, KEY by_note (note))",
	} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}

	ctx, stop := context.WithTimeout(context.Background(), loadMaxTime)
	defer stop()
	var (
		mu           sync.Mutex
		acked, tried int64
		loadErr      error
		wg           sync.WaitGroup
		ackedAt      = func() int64 { mu.Lock(); defer mu.Unlock(); return acked }
		triedAt      = func() int64 { mu.Lock(); defer mu.Unlock(); return tried }
		waitForAcked = func(n int64) {
			for ackedAt() < n && ctx.Err() == nil {
				time.Sleep(5 * time.Millisecond)
			}
		}
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		conn, err := db.Conn(context.Background())
		if err != nil {
			loadErr = err
			return
		}
		defer conn.Close()
		for n := int64(1); n <= loadMaxTxns && ctx.Err() == nil; n++ {
			mu.Lock()
			tried = n
			mu.Unlock()
			tx, err := conn.BeginTx(context.Background(), nil)
			if err == nil {
				_, err = tx.Exec("INSERT INTO shop.a VALUES (?)", n)
			}
			if err == nil {
				_, err = tx.Exec("INSERT INTO shop.b VALUES (?, ?)", n, "note")
			}
			if err == nil {
				err = tx.Commit()
			}
			if err != nil {
				mu.Lock()
				loadErr = err
				mu.Unlock()
				return
			}
			mu.Lock()
			acked = n
			mu.Unlock()
		}
	}()

	waitForAcked(100)
	ackedBefore := ackedAt()
	path := filepath.Join(t.TempDir(), "online.gdbbak")
	var m backup.Manifest
	start := time.Now()
	require.NoError(t, backup.CreateFile(path, func(w io.Writer) error {
		m, err = backup.Write(context.Background(), store, slowWriter{w}, backup.Options{SourceVersion: "test"})
		return err
	}))
	took := time.Since(start)
	triedAfter := triedAt()
	waitForAcked(triedAfter + 50)
	stop()
	wg.Wait()
	require.NoError(t, loadErr)
	t.Logf("backup of %d keys, %d bytes in %s at snapshot ts %d; %d transactions acknowledged before it, %d in all",
		m.Keys, m.FileBytes, took.Round(time.Millisecond), m.SnapshotTs, ackedBefore, ackedAt())

	// The exact expectation, from the commit timestamps in the source.
	versions := rowVersions(t, store, "shop", "a")
	var want []int64
	after := 0
	for n := int64(1); n <= int64(len(versions)); n++ {
		ts, ok := versions[n]
		require.True(t, ok, "transaction %d acknowledged but missing from the source", n)
		if ts <= m.SnapshotTs {
			want = append(want, n)
		} else {
			after++
		}
	}
	require.GreaterOrEqual(t, int64(len(want)), ackedBefore, "every transaction acknowledged before the backup started is in it")
	require.LessOrEqual(t, int64(len(want)), triedAfter, "no transaction begun after the backup ended is in it")
	require.Positive(t, after, "the load must go on past the snapshot")

	require.NoError(t, db.Close())
	require.NoError(t, srv.Shutdown(context.Background()))
	<-served

	target := filepath.Join(t.TempDir(), "restored")
	code, out := testutil.Run(t, bin, nil, "restore", "--in", path, "--data-dir", target)
	require.Equal(t, 0, code, out)
	code, out = testutil.Run(t, bin, nil, "check", "--data-dir", target)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "no problems found")

	p := testutil.StartProcess(t, bin, target)
	rdb := testutil.Connect(t, p.MySQLAddr)
	require.Equal(t, want, queryInts(t, rdb, "SELECT n FROM shop.a ORDER BY n"))
	require.Equal(t, want, queryInts(t, rdb, "SELECT n FROM shop.b ORDER BY n"))
	require.Equal(t, want, queryInts(t, rdb, "SELECT n FROM shop.b WHERE note = 'note' ORDER BY n"), "through the secondary index")
	_, err = rdb.Exec("INSERT INTO shop.a VALUES (?)", int64(len(want))+1)
	require.NoError(t, err, "the restored server takes writes")
	p.Stop()
}
