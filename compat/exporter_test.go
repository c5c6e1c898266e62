package compat

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/guocedb/guocedb/internal/testutil"
)

// exporterCollectors are the scrapers enabled besides the exporter's
// defaults (global status and variables, replica status, InnoDB CMP,
// query response time): the ones a guocedb dashboard uses.
var exporterCollectors = []string{
	"--collect.info_schema.processlist",
	"--collect.info_schema.tables",
	"--collect.info_schema.schemastats",
	"--collect.binlog_size",
}

// TestPrometheusMySQLdExporter scrapes guocedb with the Debian
// prometheus-mysqld-exporter over TLS, as a monitoring account with the
// grants its documentation asks for, and requires a scrape without errors
// that exports status and variables, and status counters that move with
// the traffic.
func TestPrometheusMySQLdExporter(t *testing.T) {
	bin := testutil.RequireTool(t, "prometheus-mysqld-exporter")
	s := startServer(t, false)
	for _, q := range []string{
		"CREATE USER 'exporter'@'%' IDENTIFIED BY 'exporter-Pw1'",
		"GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO 'exporter'@'%'",
		"CREATE TABLE compat.t (id INT PRIMARY KEY)",
	} {
		_, err := s.root.Exec(q)
		require.NoError(t, err, q)
	}

	dir := t.TempDir()
	cnf := filepath.Join(dir, "my.cnf")
	require.NoError(t, os.WriteFile(cnf, []byte(fmt.Sprintf(
		"[client]\nuser=exporter\npassword=exporter-Pw1\nhost=%s\nport=%s\nssl-ca=%s\n",
		s.host, s.port, s.caFile)), 0o600))
	listen := testutil.FreeAddr(t)

	ctx, cancel := context.WithCancel(context.Background())
	var logs lockedBuffer
	cmd := exec.CommandContext(ctx, bin, append([]string{
		"--config.my-cnf=" + cnf,
		"--web.listen-address=" + listen,
	}, exporterCollectors...)...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})

	// Wait for the first good scrape, then judge a second one: the error
	// gauge of a steady state.
	scrapeUntilUp(t, "http://"+listen+"/metrics", 30*time.Second)
	metrics := scrape(t, "http://"+listen+"/metrics")
	t.Logf("exporter log:\n%s", logs.String())

	require.Equal(t, []float64{1}, metrics["mysql_up"], "mysql_up")
	require.Equal(t, []float64{0}, metrics["mysql_exporter_last_scrape_error"], "mysql_exporter_last_scrape_error")
	// mysqld_exporter 0.15 reports each scraper's success; 0.14 (Debian
	// 12) reports only its duration and logs the scraper's error.
	for _, v := range metrics["mysql_exporter_collector_success"] {
		require.Equal(t, float64(1), v, "mysql_exporter_collector_success")
	}
	require.NotContains(t, logs.String(), "level=error", "the exporter logged a scrape error")
	var status, variables int
	for name := range metrics {
		switch {
		case strings.HasPrefix(name, "mysql_global_status_"):
			status++
		case strings.HasPrefix(name, "mysql_global_variables_"):
			variables++
		}
	}
	require.Greater(t, status, 50, "mysql_global_status_* series")
	require.Greater(t, variables, 100, "mysql_global_variables_* series")
	require.Contains(t, metrics, "mysql_global_variables_max_connections")
	require.Contains(t, metrics, "mysql_global_status_threads_connected")
	require.Contains(t, metrics, "mysql_info_schema_table_rows", "info_schema.tables collector")

	// The status counters are real: they move with the traffic, and
	// guocedb's own /metrics (the same counters) agrees.
	for _, q := range []string{"INSERT INTO compat.t VALUES (1)", "INSERT INTO compat.t VALUES (2)", "SELECT * FROM compat.t"} {
		_, err := s.root.Exec(q)
		require.NoError(t, err, q)
	}
	later := scrape(t, "http://"+listen+"/metrics")
	for _, name := range []string{"mysql_global_status_questions", "mysql_global_status_bytes_received", "mysql_global_status_bytes_sent", "mysql_global_status_connections"} {
		require.Len(t, metrics[name], 1, name)
		require.Len(t, later[name], 1, name)
		require.Greater(t, later[name][0], metrics[name][0], "%s did not increase", name)
	}
	require.GreaterOrEqual(t, later["mysql_global_status_threads_connected"][0], float64(1))
	require.GreaterOrEqual(t, later["mysql_global_status_threads_running"][0], float64(1))
	require.Contains(t, later, "mysql_global_status_uptime")
	require.Contains(t, later, "mysql_global_status_commands_total")
	own := scrape(t, "http://"+s.proc.HTTPAddr+"/metrics")
	require.NotEmpty(t, own["guocedb_statements_total"])
	require.GreaterOrEqual(t, sum(own["guocedb_rows_written_total"]), float64(2))
	require.GreaterOrEqual(t, sum(own["guocedb_statement_duration_seconds_count"]), later["mysql_global_status_questions"][0],
		"every question is timed")
}

func sum(vs []float64) float64 {
	var t float64
	for _, v := range vs {
		t += v
	}
	return t
}

// scrapeUntilUp scrapes url every 250ms until the exporter answers with a
// mysql_up sample, bounded by d.
func scrapeUntilUp(t *testing.T, url string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		m, err := tryScrape(url)
		if err == nil {
			if _, ok := m["mysql_up"]; ok {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mysql_up from %s within %s: %v", url, d, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func scrape(t *testing.T, url string) map[string][]float64 {
	t.Helper()
	m, err := tryScrape(url)
	require.NoError(t, err)
	return m
}

// tryScrape fetches a Prometheus text exposition and returns every
// sample's value by metric name (labels dropped). A body that is not a
// valid exposition (the exporter's "An error has occurred" page) is an
// error.
func tryScrape(url string) (map[string][]float64, error) {
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s\n%s", url, resp.Status, body)
	}
	out := make(map[string][]float64)
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			return nil, fmt.Errorf("not an exposition line: %q", line)
		}
		name := line[:sp]
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("not an exposition line: %q", line)
		}
		out[name] = append(out[name], v)
	}
	return out, sc.Err()
}

// lockedBuffer collects a process's output for reading while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
