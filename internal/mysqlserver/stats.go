package mysqlserver

import (
	"errors"
	"io"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/stats"
)

// emptySafeStats wraps go-mysql-server's statistics provider: its
// ANALYZE TABLE divides by the sample size and panics on an empty table
// (the client got "handler caught panic: integer divide by zero"). An
// empty table has nothing to sample; its old statistics are dropped, so
// the planner does not cost it by rows that are gone, and ANALYZE reports
// OK, as MySQL does.
type emptySafeStats struct{ sql.StatsProvider }

func (s emptySafeStats) AnalyzeTable(ctx *sql.Context, table sql.Table, db string) error {
	empty, err := isEmpty(ctx, table)
	if err != nil {
		return err
	}
	if !empty {
		return s.StatsProvider.AnalyzeTable(ctx, table, db)
	}
	stats, err := s.StatsProvider.GetTableStats(ctx, db, table)
	if err != nil {
		return err
	}
	for _, st := range stats {
		if err := s.StatsProvider.DropStats(ctx, st.Qualifier(), st.Columns()); err != nil {
			return err
		}
	}
	return nil
}

// GetTableStats marks the statistics of FULLTEXT indexes as such: ANALYZE
// TABLE samples them like B-tree indexes, and the planner looks a MATCH up
// in a FULLTEXT index only through a statistic of class
// IndexClassFulltext. Without this, every MATCH after an ANALYZE scanned
// the whole table (same rows, no index).
func (s emptySafeStats) GetTableStats(ctx *sql.Context, db string, table sql.Table) ([]sql.Statistic, error) {
	list, err := s.StatsProvider.GetTableStats(ctx, db, table)
	if err != nil || len(list) == 0 {
		return list, err
	}
	it, ok := table.(sql.IndexAddressableTable)
	if !ok {
		return list, nil
	}
	indexes, err := it.GetIndexes(ctx)
	if err != nil {
		return nil, err
	}
	ft := map[string]bool{}
	for _, idx := range indexes {
		if idx.IsFullText() {
			ft[strings.ToLower(idx.ID())] = true
		}
	}
	if len(ft) == 0 {
		return list, nil
	}
	out := make([]sql.Statistic, len(list))
	for i, st := range list {
		out[i] = st
		if c, ok := st.(*stats.Statistic); ok && ft[st.Qualifier().Index()] && st.IndexClass() != sql.IndexClassFulltext {
			marked := *c
			marked.IdxClass = uint8(sql.IndexClassFulltext)
			out[i] = &marked
		}
	}
	return out, nil
}

// isEmpty reports whether table has no row, reading at most one.
func isEmpty(ctx *sql.Context, table sql.Table) (bool, error) {
	parts, err := table.Partitions(ctx)
	if err != nil {
		return false, err
	}
	defer parts.Close(ctx)
	for {
		p, err := parts.Next(ctx)
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		rows, err := table.PartitionRows(ctx, p)
		if err != nil {
			return false, err
		}
		_, err = rows.Next(ctx)
		closeErr := rows.Close(ctx)
		switch {
		case err == nil:
			return false, closeErr
		case !errors.Is(err, io.EOF):
			return false, err
		case closeErr != nil:
			return false, closeErr
		}
	}
}
