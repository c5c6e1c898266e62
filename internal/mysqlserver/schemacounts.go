package mysqlserver

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
)

// SchemaCounts returns how many user databases and tables the catalog
// holds (information_schema and mysql not counted), for status reports.
// Safe for concurrent use.
func (s *Server) SchemaCounts() (databases, tables int, err error) {
	ctx := sql.NewEmptyContext()
	dbs := s.provider.AllDatabases(ctx)
	for _, db := range dbs {
		names, err := db.GetTableNames(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("tables of %s: %w", db.Name(), err)
		}
		tables += len(names)
	}
	return len(dbs), tables, nil
}
