package mysqlserver

import (
	"context"
	gosql "database/sql"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/storage"
)

// startServer runs a server over a fresh data directory on a free
// loopback port and returns a client for it.
func startServer(t *testing.T, dir string) (*gosql.DB, func()) {
	t.Helper()
	db, _, stop := startServerAddr(t, dir)
	return db, stop
}

// startServerAddr is startServer that also returns the MySQL address, for
// clients other than go-sql-driver.
func startServerAddr(t *testing.T, dir string) (*gosql.DB, string, func()) {
	t.Helper()
	srv, db, stop := startTestServer(t, dir, "?multiStatements=true&parseTime=true")
	return db, srv.Addr().String(), stop
}

// startTestServer runs a server over dir on 127.0.0.1:0 and opens a
// go-sql-driver pool to it as root, with DSN parameters params; stop
// closes both and checks that no statement panicked.
func startTestServer(t *testing.T, dir, params string) (*Server, *gosql.DB, func()) {
	t.Helper()
	store, err := storage.Open(dir, storage.DefaultOptions(), nil)
	require.NoError(t, err)
	logger, checkPanics := panicWatch(t)
	srv, err := New(Config{Addr: "127.0.0.1:0", Version: "test"}, store, logger)
	require.NoError(t, err)
	go func() { _ = srv.Serve() }()
	db, err := gosql.Open("mysql", "root:@tcp("+srv.Addr().String()+")/"+params)
	require.NoError(t, err)
	stop := func() {
		_ = db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		require.NoError(t, store.Close())
		checkPanics()
	}
	return srv, db, stop
}

func TestSmokeRestart(t *testing.T) {
	dir := t.TempDir()
	db, stop := startServer(t, dir)
	_, err := db.Exec("CREATE DATABASE d")
	require.NoError(t, err)
	_, err = db.Exec("CREATE TABLE d.t (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(20), KEY(name))")
	require.NoError(t, err)
	_, err = db.Exec("INSERT INTO d.t (name) VALUES ('a'), ('b'), ('c')")
	require.NoError(t, err)
	var n int
	require.NoError(t, db.QueryRow("SELECT id FROM d.t WHERE name = 'b'").Scan(&n))
	require.Equal(t, 2, n)
	stop()

	db, stop = startServer(t, dir)
	defer stop()
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM d.t").Scan(&n))
	require.Equal(t, 3, n)
	_, err = db.Exec("INSERT INTO d.t (name) VALUES ('d')")
	require.NoError(t, err)
	require.NoError(t, db.QueryRow("SELECT MAX(id) FROM d.t").Scan(&n))
	require.Equal(t, 4, n)
}

// TestShutdownFencesStorage: running statements finish, open transactions
// roll back, and a connection used after Shutdown gets an error instead of
// reaching the closed store.
func TestShutdownFencesStorage(t *testing.T) {
	dir := t.TempDir()
	store, err := storage.Open(dir, storage.DefaultOptions(), nil)
	require.NoError(t, err)
	srv, err := New(Config{Addr: "127.0.0.1:0", Version: "test"}, store, nil)
	require.NoError(t, err)
	go func() { _ = srv.Serve() }()
	db, err := gosql.Open("mysql", "root:@tcp("+srv.Addr().String()+")/")
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	for _, q := range []string{"CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)", "INSERT INTO d.t VALUES (1)"} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	open, err := db.Conn(ctx)
	require.NoError(t, err)
	_, err = open.ExecContext(ctx, "BEGIN")
	require.NoError(t, err)
	_, err = open.ExecContext(ctx, "INSERT INTO d.t VALUES (2)")
	require.NoError(t, err)

	slow := make(chan error, 1)
	go func() {
		_, err := db.ExecContext(ctx, "SELECT SLEEP(0.5)")
		slow <- err
	}()
	// Shut down only once the statement runs (a fixed wait was too short
	// on a loaded machine).
	require.Eventually(t, func() bool {
		var n int
		err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP%'").Scan(&n)
		return err == nil && n == 1
	}, 10*time.Second, 5*time.Millisecond)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(sctx))
	require.NoError(t, <-slow, "a running statement finishes before shutdown closes connections")
	_, err = open.ExecContext(ctx, "INSERT INTO d.t VALUES (3)")
	require.Error(t, err)
	require.NoError(t, store.Close())

	db2, stop := startServer(t, dir)
	defer stop()
	var ids []int
	rows, err := db2.Query("SELECT id FROM d.t ORDER BY id")
	require.NoError(t, err)
	for rows.Next() {
		var id int
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.Equal(t, []int{1}, ids, "the open transaction rolled back")
}

// TestFailedStatementsReleaseSnapshots: go-mysql-server drops the
// autocommit transaction of a statement that fails to parse without
// rolling it back; its snapshot must still be released.
func TestFailedStatementsReleaseSnapshots(t *testing.T) {
	dir := t.TempDir()
	store, err := storage.Open(dir, storage.DefaultOptions(), nil)
	require.NoError(t, err)
	defer store.Close()
	srv, err := New(Config{Addr: "127.0.0.1:0", Version: "test"}, store, nil)
	require.NoError(t, err)
	go func() { _ = srv.Serve() }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
	}()
	db, err := gosql.Open("mysql", "root:@tcp("+srv.Addr().String()+")/")
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	for i := 0; i < 200; i++ {
		_, err := db.Exec("SELEKT 1")
		require.Error(t, err)
		_, err = db.Exec("SELECT * FROM nosuch.t")
		require.Error(t, err)
	}
	var one int
	require.NoError(t, db.QueryRow("SELECT 1").Scan(&one))
	require.LessOrEqual(t, store.OpenTransactions(), 1, "snapshots of failed statements leaked")
}

// A client that stops reading a large result loses its connection after
// NetWriteTimeout, and its session leaves the process list.
func TestClientThatStopsReadingIsDropped(t *testing.T) {
	store, err := storage.Open(t.TempDir(), storage.DefaultOptions(), nil)
	require.NoError(t, err)
	srv, err := New(Config{Addr: "127.0.0.1:0", Version: "test", NetWriteTimeout: time.Second}, store, nil)
	require.NoError(t, err)
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		require.NoError(t, store.Close())
	})
	dsn := "root:@tcp(" + srv.Addr().String() + ")/"
	admin, err := gosql.Open("mysql", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	for _, q := range []string{"CREATE DATABASE big", "CREATE TABLE big.t (id INT PRIMARY KEY)",
		"INSERT INTO big.t VALUES (1),(2),(3),(4),(5),(6),(7),(8),(9),(10),(11),(12),(13),(14),(15),(16),(17),(18),(19),(20)"} {
		_, err := admin.Exec(q)
		require.NoError(t, err, q)
	}
	reader, err := gosql.Open("mysql", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = reader.Close() })
	// About 40 MB, of which the client reads nothing.
	rows, err := reader.Query("SELECT id, REPEAT('x', 2000000) FROM big.t")
	require.NoError(t, err)
	t.Cleanup(func() { _ = rows.Close() })
	sessions := func() int {
		n := 0
		r, err := admin.Query("SHOW PROCESSLIST")
		require.NoError(t, err)
		defer func() { _ = r.Close() }()
		for r.Next() {
			n++
		}
		return n
	}
	require.Eventually(t, func() bool { return sessions() == 1 }, 20*time.Second, 100*time.Millisecond,
		"the stalled client's session stays")
}
