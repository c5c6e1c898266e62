package mysqlserver

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCreateTableLikeKeepsIndexKinds: CREATE TABLE ... LIKE copies prefix
// lengths and FULLTEXT indexes, and the copies work.
func TestCreateTableLikeKeepsIndexKinds(t *testing.T) {
	pool, stop := startServer(t, t.TempDir())
	defer stop()
	// One connection: the statements rely on USE.
	db, err := pool.Conn(context.Background())
	require.NoError(t, err)
	defer db.Close()
	for _, s := range []string{
		"CREATE DATABASE d",
		"USE d",
		"CREATE TABLE p (id INT PRIMARY KEY, c VARCHAR(100), t TEXT, KEY kc (c(20)), UNIQUE KEY kt (t(10)))",
		"CREATE TABLE p2 LIKE p",
		"CREATE TABLE f (id INT PRIMARY KEY, body TEXT, FULLTEXT KEY fb (body))",
		"CREATE TABLE f2 LIKE d.f",
		"INSERT INTO f2 VALUES (1, 'hello world'), (2, 'other text')",
	} {
		_, err := db.ExecContext(context.Background(), s)
		require.NoError(t, err, s)
	}
	showCreate := func(table string) string {
		var name, def string
		require.NoError(t, db.QueryRowContext(context.Background(), "SHOW CREATE TABLE d."+table).Scan(&name, &def))
		return def
	}
	p2 := showCreate("p2")
	require.Contains(t, p2, "KEY `kc` (`c`(20))")
	require.Contains(t, p2, "UNIQUE KEY `kt` (`t`(10))")
	require.Contains(t, showCreate("f2"), "FULLTEXT KEY `fb` (`body`)")

	// The prefix is the key: two texts that share their first ten
	// characters collide in the unique index, as in the original table.
	_, err = db.ExecContext(context.Background(), "INSERT INTO d.p2 VALUES (1, 'a', '0123456789-one')")
	require.NoError(t, err)
	_, err = db.ExecContext(context.Background(), "INSERT INTO d.p2 VALUES (2, 'b', '0123456789-two')")
	require.ErrorContains(t, err, "Error 1062")

	var id int
	require.NoError(t, db.QueryRowContext(context.Background(), "SELECT id FROM d.f2 WHERE MATCH(body) AGAINST ('hello')").Scan(&id))
	require.Equal(t, 1, id)
	var typ, key string
	require.NoError(t, db.QueryRowContext(context.Background(), "EXPLAIN SELECT id FROM d.f2 WHERE MATCH(body) AGAINST ('hello')").Scan(new(any), new(any), new(any), new(any), &typ, new(any), &key, new(any), new(any), new(any), new(any), new(any)))
	require.Equal(t, "fulltext", typ)
	require.Equal(t, "fb", key)
}
