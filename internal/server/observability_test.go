package server_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/config"
	"github.com/guocedb/guocedb/internal/server"
	"github.com/guocedb/guocedb/internal/slowlog"
	"github.com/guocedb/guocedb/internal/storage"
	"github.com/guocedb/guocedb/internal/testutil"
)

// startObserved starts a whole server with cfg changed by mutate and
// returns it with a root connection; both stop at the end of the test.
func startObserved(t *testing.T, mutate func(*config.Config)) (*server.Server, *sql.DB, config.Config) {
	t.Helper()
	cfg := testConfig(t)
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := server.New(cfg, discard(), server.WithVersion("test"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, s.Start(ctx))
	t.Cleanup(func() { require.NoError(t, s.Stop(context.Background())) })
	db := testutil.Connect(t, s.MySQLAddr())
	// One connection: statements of the test run in order on one session.
	db.SetMaxOpenConns(1)
	return s, db, cfg
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	_, err := db.Exec(q)
	require.NoError(t, err, q)
}

func mysqlErrCode(t *testing.T, err error) uint16 {
	t.Helper()
	var me *mysql.MySQLError
	require.True(t, errors.As(err, &me), "want a MySQL error, got %v", err)
	return me.Number
}

// globalStatus returns SHOW GLOBAL STATUS as a map.
func globalStatus(t *testing.T, db *sql.DB, scope string) map[string]string {
	t.Helper()
	rows, err := db.Query("SHOW " + scope + " STATUS")
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		require.NoError(t, rows.Scan(&k, &v))
		_, dup := out[k]
		require.False(t, dup, "SHOW %s STATUS lists %s twice", scope, k)
		out[k] = v
	}
	require.NoError(t, rows.Err())
	return out
}

func statusUint(t *testing.T, m map[string]string, name string) uint64 {
	t.Helper()
	v, ok := m[name]
	require.True(t, ok, "SHOW STATUS has no %s", name)
	n, err := strconv.ParseUint(v, 10, 64)
	require.NoError(t, err, "%s = %q", name, v)
	return n
}

// scrapeMetrics fetches /metrics and parses the exposition.
func scrapeMetrics(t *testing.T, s *server.Server) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + s.HTTPAddr() + "/metrics")
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return mfs
}

// metricValue returns the value of the sample of name whose labels
// include want (name=value pairs), failing when there is none.
func metricValue(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want ...string) float64 {
	t.Helper()
	mf, ok := mfs[name]
	require.True(t, ok, "no metric %s", name)
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no sample of %s with %v", name, want)
	return 0
}

// TestMetricsAndStatusOverTheWire runs statements over the wire, then
// requires /metrics, SHOW GLOBAL STATUS and /status to report them.
func TestMetricsAndStatusOverTheWire(t *testing.T) {
	s, db, _ := startObserved(t, nil)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20))",
		"INSERT INTO shop.items VALUES (1, 'a')",
		"INSERT INTO shop.items VALUES (2, 'b')",
		"INSERT INTO shop.items VALUES (3, 'c')",
		"BEGIN", "INSERT INTO shop.items VALUES (4, 'd')", "ROLLBACK",
	} {
		mustExec(t, db, q)
	}
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM shop.items WHERE name <> 'x'").Scan(&n))
	require.Equal(t, 3, n)
	_, err := db.Exec("SELECT * FROM shop.nope")
	require.Equal(t, uint16(1146), mysqlErrCode(t, err))

	// Two transactions write one row: the second waits for the first's
	// row lock, then updates on top of its commit.
	db.SetMaxOpenConns(3)
	a, err := db.Conn(ctx)
	require.NoError(t, err)
	defer func() { _ = a.Close() }()
	b, err := db.Conn(ctx)
	require.NoError(t, err)
	defer func() { _ = b.Close() }()
	for _, c := range []*sql.Conn{a, b} {
		_, err = c.ExecContext(ctx, "BEGIN")
		require.NoError(t, err)
	}
	_, err = a.ExecContext(ctx, "UPDATE shop.items SET name = 'x' WHERE id = 1")
	require.NoError(t, err)
	waited := make(chan error, 1)
	go func() {
		_, err := b.ExecContext(ctx, "UPDATE shop.items SET name = 'x' WHERE id = 1")
		waited <- err
	}()
	require.Eventually(t, func() bool {
		return statusUint(t, globalStatus(t, db, "GLOBAL"), "Innodb_row_lock_current_waits") == 1
	}, 10*time.Second, 5*time.Millisecond)
	_, err = a.ExecContext(ctx, "COMMIT")
	require.NoError(t, err)
	require.NoError(t, <-waited)
	_, err = b.ExecContext(ctx, "COMMIT")
	require.NoError(t, err)
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())

	// A refused login.
	bad, err := sql.Open("mysql", testutil.DSN("root", "wrong", s.MySQLAddr(), ""))
	require.NoError(t, err)
	require.Error(t, bad.Ping())
	require.NoError(t, bad.Close())

	st := globalStatus(t, db, "GLOBAL")
	require.Equal(t, uint64(3), statusUint(t, st, "Com_insert")-1, "three INSERTs and the one rolled back")
	require.Equal(t, uint64(1), statusUint(t, st, "Com_create_table"))
	require.Equal(t, uint64(1), statusUint(t, st, "Com_rollback"))
	require.GreaterOrEqual(t, statusUint(t, st, "Com_select"), uint64(2))
	require.GreaterOrEqual(t, statusUint(t, st, "Questions"), uint64(15))
	// The pool may be closing its second connection meanwhile.
	require.GreaterOrEqual(t, statusUint(t, st, "Threads_connected"), uint64(1))
	require.GreaterOrEqual(t, statusUint(t, st, "Threads_running"), uint64(1), "SHOW STATUS itself runs")
	require.GreaterOrEqual(t, statusUint(t, st, "Connections"), uint64(3))
	require.GreaterOrEqual(t, statusUint(t, st, "Aborted_connects"), uint64(1))
	require.Positive(t, statusUint(t, st, "Bytes_received"))
	require.Positive(t, statusUint(t, st, "Bytes_sent"))
	require.GreaterOrEqual(t, statusUint(t, st, "Handler_commit"), uint64(4))
	statusUint(t, st, "Uptime")
	require.Equal(t, uint64(0), statusUint(t, st, "Slow_queries"), "nothing runs for 1s")

	// /metrics reads the same counters.
	mfs := scrapeMetrics(t, s)
	after := globalStatus(t, db, "GLOBAL")
	for _, c := range []struct {
		metric, label, status string
	}{
		{"guocedb_statements_total", "insert", "Com_insert"},
		{"guocedb_statements_total", "select", "Com_select"},
		{"guocedb_statements_total", "create_table", "Com_create_table"},
	} {
		v := uint64(metricValue(t, mfs, c.metric, "command", c.label))
		require.GreaterOrEqual(t, v, statusUint(t, st, c.status), c.status)
		require.LessOrEqual(t, v, statusUint(t, after, c.status), c.status)
	}
	require.Equal(t, float64(1), metricValue(t, mfs, "guocedb_statement_errors_total", "code", "1146"))
	require.GreaterOrEqual(t, metricValue(t, mfs, "guocedb_statement_duration_seconds"), float64(15))
	require.GreaterOrEqual(t, metricValue(t, mfs, "guocedb_connections_open"), float64(1))
	require.GreaterOrEqual(t, metricValue(t, mfs, "guocedb_connections_total"), float64(3))
	require.GreaterOrEqual(t, metricValue(t, mfs, "guocedb_connections_refused_total"), float64(1))
	require.Equal(t, float64(1), metricValue(t, mfs, "guocedb_auth_failures_total"), "the wrong root password")
	require.GreaterOrEqual(t, metricValue(t, mfs, "guocedb_rows_written_total"), float64(5), "4 inserts and an update")
	require.GreaterOrEqual(t, metricValue(t, mfs, "guocedb_rows_read_total"), float64(3))
	require.GreaterOrEqual(t, metricValue(t, mfs, "guocedb_rows_sent_total"), float64(1))
	require.Positive(t, metricValue(t, mfs, "guocedb_received_bytes_total"))
	require.Positive(t, metricValue(t, mfs, "guocedb_sent_bytes_total"))
	require.GreaterOrEqual(t, metricValue(t, mfs, "guocedb_transactions_total", "outcome", "committed"), float64(4))
	require.GreaterOrEqual(t, metricValue(t, mfs, "guocedb_transactions_total", "outcome", "rolled_back"), float64(1))
	require.Equal(t, float64(1), metricValue(t, mfs, "guocedb_row_lock_waits_total"))
	require.Equal(t, float64(0), metricValue(t, mfs, "guocedb_slow_statements_total"))
	metricValue(t, mfs, "guocedb_badger_lsm_size_bytes")
	// The commit log: every committed write set is one entry, applied
	// before its commit returns, and no crash replays past the checkpoint.
	require.GreaterOrEqual(t, metricValue(t, mfs, "guocedb_commitlog_entries_total"), float64(4))
	require.GreaterOrEqual(t, metricValue(t, mfs, "guocedb_commitlog_commit_duration_seconds"), float64(4))
	require.Positive(t, metricValue(t, mfs, "guocedb_commitlog_apply_duration_seconds"))
	require.Positive(t, metricValue(t, mfs, "guocedb_commitlog_writes_total"))
	applied := metricValue(t, mfs, "guocedb_commitlog_applied_index")
	require.Positive(t, applied)
	require.LessOrEqual(t, applied, metricValue(t, mfs, "guocedb_commitlog_last_index"))
	require.LessOrEqual(t, metricValue(t, mfs, "guocedb_commitlog_checkpoint_index"), applied)
	require.Equal(t, float64(0), metricValue(t, mfs, "guocedb_commitlog_failed"))
	metricValue(t, mfs, "guocedb_commitlog_fsync_duration_seconds")
	metricValue(t, mfs, "guocedb_badger_vlog_size_bytes")
	metricValue(t, mfs, "guocedb_badger_level_tables", "level", "0")
	metricValue(t, mfs, "guocedb_badger_compactions_total", "level", "0")
	metricValue(t, mfs, "guocedb_badger_block_cache_hits_total")
	metricValue(t, mfs, "guocedb_storage_open_transactions")
	require.Positive(t, metricValue(t, mfs, "go_goroutines"))
	require.Positive(t, metricValue(t, mfs, "process_resident_memory_bytes"))

	// /status
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + s.HTTPAddr() + "/status")
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var status map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&status))
	require.Equal(t, "test", status["version"])
	require.Equal(t, true, status["ready"])
	require.Equal(t, float64(storage.FormatVersion), status["format_version"])
	require.Equal(t, float64(1), status["databases"])
	require.Equal(t, float64(1), status["tables"])
	require.GreaterOrEqual(t, status["uptime_seconds"], float64(0))
	require.Contains(t, status["data_size"], "total_bytes")
	conns := status["connections"].(map[string]any)
	require.GreaterOrEqual(t, conns["open"], float64(1))
	require.GreaterOrEqual(t, conns["refused"], float64(1))
	require.GreaterOrEqual(t, status["statements"].(map[string]any)["total"], float64(15))

	// The Go API gives the same.
	direct, err := s.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, direct.Tables)
}

// TestSessionStatusStaysPerSession checks that SHOW SESSION STATUS keeps
// the session's own counters while server-wide values come from the
// server.
func TestSessionStatusStaysPerSession(t *testing.T) {
	_, db, _ := startObserved(t, nil)
	for range 3 {
		mustExec(t, db, "SELECT 1")
	}
	sess := globalStatus(t, db, "SESSION")
	global := globalStatus(t, db, "GLOBAL")
	require.GreaterOrEqual(t, statusUint(t, global, "Questions"), statusUint(t, sess, "Questions"))
	require.Equal(t, statusUint(t, global, "Threads_connected"), statusUint(t, sess, "Threads_connected"))
	like := queryPairs(t, db, "SHOW GLOBAL STATUS LIKE 'Com_sel%'")
	require.Len(t, like, 1, "LIKE still filters")
	require.Contains(t, like, "Com_select")
}

func queryPairs(t *testing.T, db *sql.DB, q string) map[string]string {
	t.Helper()
	rows, err := db.Query(q)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		require.NoError(t, rows.Scan(&k, &v))
		out[k] = v
	}
	require.NoError(t, rows.Err())
	return out
}

// TestSlowQueryLog logs every statement (slow-query-time 0) to a file
// and requires one masked JSON line per statement, the MySQL variables,
// the counters and the in-memory ring.
func TestSlowQueryLog(t *testing.T) {
	s, db, cfg := startObserved(t, func(c *config.Config) { c.SlowQueryTime = 0 })
	path := filepath.Join(cfg.DataDir, "slow.log")
	require.Equal(t, path, cfg.SlowLogPath())
	for _, q := range []string{
		"CREATE DATABASE d",
		"CREATE TABLE d.t (id INT PRIMARY KEY)",
		"INSERT INTO d.t VALUES (1), (2), (3)",
		"CREATE USER 'app'@'%' IDENTIFIED BY 'Sup3r-secret'",
		"ALTER USER 'app'@'%' IDENTIFIED BY 'An0ther-secret'",
		"USE d",
	} {
		mustExec(t, db, q)
	}
	var got int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM t WHERE id > 0").Scan(&got))

	vars := queryPairs(t, db, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('long_query_time', 'slow_query_log', 'slow_query_log_file')")
	require.Equal(t, map[string]string{"long_query_time": "0", "slow_query_log": "1", "slow_query_log_file": path}, vars)
	_, err := db.Exec("SET GLOBAL long_query_time = 5")
	require.Error(t, err, "the threshold comes from the configuration")

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(raw), "Sup3r-secret")
	require.NotContains(t, string(raw), "An0ther-secret")
	var entries []slowlog.Entry
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	for sc.Scan() {
		var e slowlog.Entry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), sc.Text())
		entries = append(entries, e)
	}
	find := func(prefix string) slowlog.Entry {
		t.Helper()
		for _, e := range entries {
			if strings.HasPrefix(e.Query, prefix) {
				return e
			}
		}
		t.Fatalf("no slow log entry starting with %q in\n%s", prefix, raw)
		return slowlog.Entry{}
	}
	user := find("CREATE USER")
	require.Equal(t, "CREATE USER 'app'@'%' IDENTIFIED BY '***'", user.Query)
	require.Equal(t, "root", user.User)
	sel := find("SELECT COUNT(*) FROM t")
	require.Equal(t, "d", sel.Database)
	require.Equal(t, uint64(3), sel.RowsExamined)
	require.Equal(t, uint64(1), sel.RowsSent)
	require.GreaterOrEqual(t, sel.DurationSeconds, float64(0))
	require.False(t, sel.Time.IsZero())
	require.Positive(t, sel.ConnID)

	st := globalStatus(t, db, "GLOBAL")
	require.GreaterOrEqual(t, statusUint(t, st, "Slow_queries"), uint64(len(entries)))
	recent := s.SlowLog().Recent(2)
	require.Len(t, recent, 2)
}

// TestSlowQueryLogOff checks slow-query-time off: no file, the variables
// say so, no slow statement counted.
func TestSlowQueryLogOff(t *testing.T) {
	s, db, cfg := startObserved(t, func(c *config.Config) {
		c.SlowQueryTime = config.SlowLogOff
		c.SlowLogFile = filepath.Join(c.DataDir, "logs", "slow.json")
	})
	mustExec(t, db, "SELECT SLEEP(0.01)")
	vars := queryPairs(t, db, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('slow_query_log', 'slow_query_log_file')")
	require.Equal(t, map[string]string{"slow_query_log": "0", "slow_query_log_file": cfg.SlowLogFile}, vars)
	_, err := os.Stat(cfg.SlowLogFile)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Equal(t, uint64(0), statusUint(t, globalStatus(t, db, "GLOBAL"), "Slow_queries"))
	require.Empty(t, s.SlowLog().Recent(10))
}

// TestStatusBeforeStart answers 503-worthy errors, not a panic, when the
// store is not open.
func TestStatusBeforeStart(t *testing.T) {
	s, err := server.New(testConfig(t), discard())
	require.NoError(t, err)
	_, err = s.Status(context.Background())
	require.ErrorContains(t, err, "storage is not open")
	require.Nil(t, s.SlowLog())
	mfs, err := s.Gatherer().Gather()
	require.NoError(t, err)
	require.NotEmpty(t, mfs)
}

// TestSlowQueryThreshold logs a statement that sleeps past the threshold,
// with its duration, and counts it.
func TestSlowQueryThreshold(t *testing.T) {
	s, db, _ := startObserved(t, func(c *config.Config) { c.SlowQueryTime = 100 * time.Millisecond })
	mustExec(t, db, "SELECT SLEEP(0.2)")
	var sleeps []slowlog.Entry
	for _, e := range s.SlowLog().Recent(100) {
		if e.Query == "SELECT SLEEP(0.2)" {
			sleeps = append(sleeps, e)
		}
	}
	require.Len(t, sleeps, 1)
	require.GreaterOrEqual(t, sleeps[0].DurationSeconds, 0.2)
	require.Equal(t, uint64(1), sleeps[0].RowsSent)
	require.GreaterOrEqual(t, statusUint(t, globalStatus(t, db, "GLOBAL"), "Slow_queries"), uint64(1))
	require.GreaterOrEqual(t, metricValue(t, scrapeMetrics(t, s), "guocedb_slow_statements_total"), float64(1))
	vars := queryPairs(t, db, "SHOW VARIABLES LIKE 'long_query_time'")
	require.Equal(t, "0.1", vars["long_query_time"])
}
