package adminapi_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/adminclient"
	"github.com/guocedb/guocedb/internal/testutil"
)

// progressRows is the table size of the rebuild tests: enough rows that
// a rebuild on a slow machine lasts well beyond one poll, bounded so the
// test stays a few seconds long.
const progressRows = 200_000

// fillProgressTable creates db.t with progressRows rows, inserted in big
// multi-row statements.
func fillProgressTable(t *testing.T, ctx context.Context, db *sql.DB) {
	t.Helper()
	for _, q := range []string{"CREATE DATABASE p", "CREATE TABLE p.t (id BIGINT PRIMARY KEY, v VARCHAR(40), n INT)"} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	const chunk = 5000
	var b strings.Builder
	for start := 0; start < progressRows; start += chunk {
		b.Reset()
		b.WriteString("INSERT INTO p.t VALUES ")
		for i := start; i < start+chunk; i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,'value-%d',%d)", i, i, i%977)
		}
		_, err := db.ExecContext(ctx, b.String())
		require.NoError(t, err)
	}
}

// rowsState matches the rows progress go-mysql-server's SHOW PROCESSLIST
// prints under the table in the State column.
var rowsState = regexp.MustCompile(`rows \((\d+)/(\d+|\?) rows\)`)

// TestRebuildProgress runs an ALTER TABLE that rewrites a table and a
// CREATE INDEX that fills an index, each on progressRows rows, and polls
// SHOW PROCESSLIST from a second connection and ListSessions until the
// statement ends: at least one progress state is seen, with done <= total
// and total the table's row count, and ListSessions' structured fields
// agree.
func TestRebuildProgress(t *testing.T) {
	f := startFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fillProgressTable(t, ctx, f.root)
	monitor, err := adminclient.New(f.adminAddr, adminclient.Credentials{User: "monitor", Password: "mon-pw"})
	require.NoError(t, err)

	for _, stmt := range []string{
		"ALTER TABLE p.t ADD COLUMN w INT NOT NULL DEFAULT 7",
		"CREATE INDEX by_n ON p.t (n)",
	} {
		t.Run(strings.Fields(stmt)[0], func(t *testing.T) {
			db, err := sql.Open("mysql", testutil.DSN("root", "", f.mysqlAddr, ""))
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			conn, err := db.Conn(ctx)
			require.NoError(t, err)
			defer func() { _ = conn.Close() }()
			var id uint32
			require.NoError(t, conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id))

			done := make(chan error, 1)
			go func() {
				_, err := conn.ExecContext(ctx, stmt)
				done <- err
			}()
			var wireSeen, apiSeen int
			deadline := time.Now().Add(3 * time.Minute)
			for running := true; running; {
				select {
				case err := <-done:
					require.NoError(t, err, stmt)
					running = false
					continue
				default:
				}
				require.False(t, time.Now().After(deadline), "%s did not end within 3m", stmt)
				if d, tot, ok := processListProgress(t, ctx, f.root, id); ok {
					wireSeen++
					require.LessOrEqual(t, d, tot)
					require.EqualValues(t, progressRows, tot)
				}
				list, err := monitor.ListSessions(ctx)
				require.NoError(t, err)
				for _, s := range list {
					if s.GetId() == id && s.GetProgressTotal() != 0 {
						apiSeen++
						require.EqualValues(t, progressRows, s.GetProgressTotal())
						require.LessOrEqual(t, s.GetProgressDone(), s.GetProgressTotal())
						require.Contains(t, s.GetState(), "rows (")
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
			t.Logf("%s: progress seen %d times in SHOW PROCESSLIST, %d in ListSessions", stmt, wireSeen, apiSeen)
			require.Positive(t, wireSeen, "SHOW PROCESSLIST never showed progress for %s", stmt)
			require.Positive(t, apiSeen, "ListSessions never carried progress for %s", stmt)

			// Finished: the session's state no longer carries progress.
			list, err := monitor.ListSessions(ctx)
			require.NoError(t, err)
			for _, s := range list {
				if s.GetId() == id {
					require.Zero(t, s.GetProgressTotal())
					require.Zero(t, s.GetProgressDone())
				}
			}
		})
	}
}

// processListProgress reads SHOW PROCESSLIST and returns the rows
// progress in connection id's State, if any.
func processListProgress(t *testing.T, ctx context.Context, db *sql.DB, id uint32) (done, total int64, ok bool) {
	t.Helper()
	rows, err := db.QueryContext(ctx, "SHOW PROCESSLIST")
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var pid uint32
		var user, host, command string
		var dbName, state, info sql.NullString
		var tm int64
		require.NoError(t, rows.Scan(&pid, &user, &host, &dbName, &command, &tm, &state, &info))
		if pid != id {
			continue
		}
		m := rowsState.FindStringSubmatch(state.String)
		if m == nil {
			continue
		}
		require.Contains(t, state.String, "p.t (0/1 partitions)", "state %q", state.String)
		done, _ = strconv.ParseInt(m[1], 10, 64)
		total, err = strconv.ParseInt(m[2], 10, 64)
		require.NoError(t, err, "total unknown in %q", state.String)
		ok = true
	}
	require.NoError(t, rows.Err())
	return done, total, ok
}
