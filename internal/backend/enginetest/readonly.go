package enginetest

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/backend"
)

// readOnlyProvider serves the provider's databases wrapped as read-only, for
// go-mysql-server's TestReadOnlyDatabases.
type readOnlyProvider struct{ *backend.Provider }

// readOnlyDatabase is a guocedb database that reports itself read-only; the
// analyzer then refuses every write with ErrReadOnlyDatabase.
type readOnlyDatabase struct{ *backend.Database }

var (
	_ sql.DatabaseProvider = readOnlyProvider{}
	_ sql.ReadOnlyDatabase = readOnlyDatabase{}
)

// IsReadOnly implements sql.ReadOnlyDatabase.
func (readOnlyDatabase) IsReadOnly() bool { return true }

func readOnly(db sql.Database) sql.Database {
	if d, ok := db.(*backend.Database); ok {
		return readOnlyDatabase{d}
	}
	return db
}

// Database implements sql.DatabaseProvider.
func (p readOnlyProvider) Database(ctx *sql.Context, name string) (sql.Database, error) {
	db, err := p.Provider.Database(ctx, name)
	if err != nil {
		return nil, err
	}
	return readOnly(db), nil
}

// AllDatabases implements sql.DatabaseProvider.
func (p readOnlyProvider) AllDatabases(ctx *sql.Context) []sql.Database {
	all := p.Provider.AllDatabases(ctx)
	out := make([]sql.Database, len(all))
	for i, db := range all {
		out[i] = readOnly(db)
	}
	return out
}

// tableFunctionProvider adds sql.TableFunctionProvider to guocedb's
// provider for the harness: go-mysql-server's TestJoinStats registers the
// memory engine's data-generating table functions (normal_dist,
// exponential_dist) through it; guocedb itself serves no table functions.
type tableFunctionProvider struct {
	*backend.Provider
	fns map[string]sql.TableFunction
}

var _ sql.TableFunctionProvider = tableFunctionProvider{}

// TableFunction implements sql.TableFunctionProvider.
func (p tableFunctionProvider) TableFunction(_ *sql.Context, name string) (sql.TableFunction, bool) {
	fn, ok := p.fns[strings.ToLower(name)]
	return fn, ok
}

// WithTableFunctions implements sql.TableFunctionProvider.
func (p tableFunctionProvider) WithTableFunctions(fns ...sql.TableFunction) (sql.TableFunctionProvider, error) {
	m := make(map[string]sql.TableFunction, len(fns))
	for _, fn := range fns {
		m[strings.ToLower(fn.Name())] = fn
	}
	return tableFunctionProvider{Provider: p.Provider, fns: m}, nil
}
