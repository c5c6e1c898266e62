package mysqlserver

import (
	"context"
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
)

// Objects counts the databases guocedb stores (information_schema and
// the mysql grant tables are not among them) and their tables (views not
// included), for status pages. It reads the catalog's in-memory copy.
func (s *Server) Objects(ctx context.Context) (databases, tables int, err error) {
	sctx := sql.NewContext(ctx)
	for _, db := range s.provider.AllDatabases(sctx) {
		names, err := db.GetTableNames(sctx)
		if err != nil {
			return 0, 0, fmt.Errorf("database %s: %w", db.Name(), err)
		}
		databases++
		tables += len(names)
	}
	return databases, tables, nil
}
