package mysqlserver

import (
	"context"
	"fmt"
	"sort"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/backend"
)

// TableStat is one stored table's size, as information_schema.TABLES
// reports it.
type TableStat struct {
	Database, Table string
	// Rows is the table's row count; Exact says whether it is the exact
	// count guocedb keeps for COUNT(*) or an estimate.
	Rows  uint64
	Exact bool
	// DataBytes is the estimated data size (DATA_LENGTH: rows times an
	// estimated row width).
	DataBytes uint64
}

// TableStats returns every stored table's rows and estimated size,
// ordered by database and table, for status pages. It reads the
// catalog's counters, not the rows, in one snapshot of a session of its
// own (ended before it returns), and is safe for concurrent use.
func (s *Server) TableStats(ctx context.Context) ([]TableStat, error) {
	sess := backend.NewSession(sql.NewBaseSession(), s.provider)
	defer sess.SessionEnd()
	sctx := sql.NewContext(ctx, sql.WithSession(sess))
	return tableStats(sctx, s.provider)
}

func tableStats(ctx *sql.Context, provider sql.DatabaseProvider) ([]TableStat, error) {
	var out []TableStat
	for _, db := range provider.AllDatabases(ctx) {
		names, err := db.GetTableNames(ctx)
		if err != nil {
			return nil, fmt.Errorf("tables of %s: %w", db.Name(), err)
		}
		for _, name := range names {
			t, ok, err := db.GetTableInsensitive(ctx, name)
			if err != nil || !ok {
				continue // dropped meanwhile
			}
			ts := TableStat{Database: db.Name(), Table: t.Name()}
			if st, ok := t.(sql.StatisticsTable); ok {
				if ts.Rows, ts.Exact, err = st.RowCount(ctx); err != nil {
					return nil, fmt.Errorf("row count of %s.%s: %w", db.Name(), name, err)
				}
				if ts.DataBytes, err = st.DataLength(ctx); err != nil {
					return nil, fmt.Errorf("data length of %s.%s: %w", db.Name(), name, err)
				}
			}
			out = append(out, ts)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Database != out[j].Database {
			return out[i].Database < out[j].Database
		}
		return out[i].Table < out[j].Table
	})
	return out, nil
}
