package collector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/guocedb/guocedb/internal/exporter/config"
)

// maxTables bounds the table-size result: the largest tables win.
const maxTables = 1000

// processlist exports session counts by user and command.
type processlist struct{}

func (processlist) Name() string            { return "processlist" }
func (processlist) AppliesTo(_ string) bool { return true }

func (processlist) Scrape(ctx context.Context, t *Target, _ string, emit func(prometheus.Metric)) error {
	_, rows, err := t.queryRows(ctx, `SELECT COALESCE(USER, ''), COALESCE(COMMAND, ''), COUNT(*), COALESCE(MAX(TIME), 0)
		FROM information_schema.PROCESSLIST GROUP BY COALESCE(USER, ''), COALESCE(COMMAND, '')`)
	if err != nil {
		return err
	}
	sessions := t.desc(t.ns+"_processlist_sessions", "Sessions by user and command.", "user", "command")
	longest := t.desc(t.ns+"_processlist_seconds_max", "Longest time in the current state, by user and command.", "user", "command")
	for _, r := range rows {
		n, _ := parseFloat(r[2].String)
		secs, _ := parseFloat(r[3].String)
		emit(constMetric(sessions, prometheus.GaugeValue, n, r[0].String, r[1].String))
		emit(constMetric(longest, prometheus.GaugeValue, secs, r[0].String, r[1].String))
	}
	return nil
}

// tableSizes exports data and index sizes and row estimates of user tables
// from information_schema.TABLES. Cached: sizes change slowly and the
// query can be expensive on servers with many tables.
type tableSizes struct{}

func (tableSizes) Name() string            { return "table_sizes" }
func (tableSizes) AppliesTo(_ string) bool { return true }

func (tableSizes) Scrape(ctx context.Context, t *Target, _ string, emit func(prometheus.Metric)) error {
	_, rows, err := t.queryRows(ctx, fmt.Sprintf(`SELECT TABLE_SCHEMA, TABLE_NAME,
		COALESCE(DATA_LENGTH, 0), COALESCE(INDEX_LENGTH, 0), COALESCE(TABLE_ROWS, 0)
		FROM information_schema.TABLES
		WHERE TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
		ORDER BY COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0) DESC LIMIT %d`, maxTables))
	if err != nil {
		return err
	}
	data := t.desc(t.ns+"_table_data_bytes", "Data size of the table (information_schema.TABLES.DATA_LENGTH).", "schema", "table")
	index := t.desc(t.ns+"_table_index_bytes", "Size of all indexes of the table (information_schema.TABLES.INDEX_LENGTH).", "schema", "table")
	nrows := t.desc(t.ns+"_table_rows", "Estimated rows of the table (information_schema.TABLES.TABLE_ROWS).", "schema", "table")
	for _, r := range rows {
		for i, d := range []*prometheus.Desc{data, index, nrows} {
			v, err := parseFloat(r[2+i].String)
			if err != nil {
				continue
			}
			emit(constMetric(d, prometheus.GaugeValue, v, r[0].String, r[1].String))
		}
	}
	return nil
}

// slowSQL exports statements running longer than slowSqlTime, the longest
// first and at most slowSqlMaxRows of them, from the process list (the
// place every MySQL-protocol server exposes running statements).
type slowSQL struct{}

// maxQueryLabel bounds the statement text kept as a label.
const maxQueryLabel = 120

func (slowSQL) Name() string            { return "slow_sql" }
func (slowSQL) AppliesTo(_ string) bool { return true }

func (slowSQL) Scrape(ctx context.Context, t *Target, _ string, emit func(prometheus.Metric)) error {
	cfg := t.src.Config()
	minSecs := int64(math.Ceil(cfg.SlowSQLTime.Seconds()))
	_, rows, err := t.queryRows(ctx, fmt.Sprintf(`SELECT ID, COALESCE(USER, ''), COALESCE(DB, ''), TIME, COALESCE(INFO, '')
		FROM information_schema.PROCESSLIST
		WHERE COMMAND NOT IN ('Sleep', 'Daemon', 'Binlog Dump') AND INFO IS NOT NULL AND TIME >= %d
		ORDER BY TIME DESC LIMIT %d`, minSecs, cfg.SlowSQLMaxRows))
	if err != nil {
		return err
	}
	count := t.desc(t.ns+"_slow_queries_running", "Statements running for at least slowSqlTime.")
	secs := t.desc(t.ns+"_slow_query_seconds", "Run time of a statement running for at least slowSqlTime.", "id", "user", "db", "query")
	emit(constMetric(count, prometheus.GaugeValue, float64(len(rows))))
	for _, r := range rows {
		v, _ := parseFloat(r[3].String)
		q := strings.Join(strings.Fields(r[4].String), " ")
		if len(q) > maxQueryLabel {
			q = q[:maxQueryLabel]
		}
		emit(constMetric(secs, prometheus.GaugeValue, v, r[0].String, r[1].String, r[2].String, q))
	}
	return nil
}

// replication exports replica threads and lag. MariaDB lists every
// connection with SHOW ALL SLAVES STATUS; MySQL 8.0.22+ has SHOW REPLICA
// STATUS and older servers SHOW SLAVE STATUS. guocedb has no MySQL-style
// replication yet.
type replication struct{}

func (replication) Name() string                 { return "replication" }
func (replication) AppliesTo(flavor string) bool { return flavor != config.FlavorGuocedb }

func (replication) Scrape(ctx context.Context, t *Target, flavor string, emit func(prometheus.Metric)) error {
	var cols []string
	var rows [][]sql.NullString
	var err error
	if flavor == config.FlavorMariaDB {
		cols, rows, err = t.queryRows(ctx, "SHOW ALL SLAVES STATUS")
	} else {
		cols, rows, err = t.queryRows(ctx, "SHOW REPLICA STATUS")
		if err != nil {
			var err2 error
			cols, rows, err2 = t.queryRows(ctx, "SHOW SLAVE STATUS")
			if err2 != nil {
				return errors.Join(err, err2)
			}
			err = nil
		}
	}
	if err != nil {
		return err
	}
	emit(constMetric(t.desc(t.ns+"_replication_channels", "Replication channels configured on this server."),
		prometheus.GaugeValue, float64(len(rows))))
	lag := t.desc(t.ns+"_replication_seconds_behind_source", "Replica lag reported by the server.", "channel")
	io := t.desc(t.ns+"_replication_io_running", "Whether the replica I/O thread runs.", "channel")
	sqlRun := t.desc(t.ns+"_replication_sql_running", "Whether the replica SQL thread runs.", "channel")
	idx := map[string]int{}
	for i, c := range cols {
		idx[c] = i
	}
	get := func(r []sql.NullString, names ...string) (string, bool) {
		for _, n := range names {
			if i, ok := idx[n]; ok && r[i].Valid {
				return r[i].String, true
			}
		}
		return "", false
	}
	for _, r := range rows {
		ch, _ := get(r, "connection_name", "channel_name")
		if v, ok := get(r, "seconds_behind_master", "seconds_behind_source"); ok {
			if f, err := parseFloat(v); err == nil {
				emit(constMetric(lag, prometheus.GaugeValue, f, ch))
			}
		}
		if v, ok := get(r, "slave_io_running", "replica_io_running"); ok {
			emit(constMetric(io, prometheus.GaugeValue, b2f(strings.EqualFold(v, "yes")), ch))
		}
		if v, ok := get(r, "slave_sql_running", "replica_sql_running"); ok {
			emit(constMetric(sqlRun, prometheus.GaugeValue, b2f(strings.EqualFold(v, "yes")), ch))
		}
	}
	return nil
}
