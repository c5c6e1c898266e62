package enginetest

import (
	"strings"

	"github.com/dolthub/go-mysql-server/memory"
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

// fixtureProvider adds the memory engine's test fixtures to guocedb's
// provider for the harness: the data-generating table functions that
// go-mysql-server's TestJoinStats registers (normal_dist,
// exponential_dist), and the external stored procedures
// (memory.ExternalStoredProcedures: memory_inout_add, memory_admin_only,
// ...) that TestUserPrivileges and TestReadOnly call. guocedb itself
// serves neither.
type fixtureProvider struct {
	*backend.Provider
	fns   map[string]sql.TableFunction
	procs *sql.ExternalStoredProcedureRegistry
}

var (
	_ sql.TableFunctionProvider           = fixtureProvider{}
	_ sql.ExternalStoredProcedureProvider = fixtureProvider{}
)

func newFixtureProvider(p *backend.Provider) fixtureProvider {
	procs := sql.NewExternalStoredProcedureRegistry()
	for _, esp := range memory.ExternalStoredProcedures {
		procs.Register(esp)
	}
	return fixtureProvider{Provider: p, procs: &procs}
}

// TableFunction implements sql.TableFunctionProvider.
func (p fixtureProvider) TableFunction(_ *sql.Context, name string) (sql.TableFunction, bool) {
	fn, ok := p.fns[strings.ToLower(name)]
	return fn, ok
}

// WithTableFunctions implements sql.TableFunctionProvider.
func (p fixtureProvider) WithTableFunctions(fns ...sql.TableFunction) (sql.TableFunctionProvider, error) {
	m := make(map[string]sql.TableFunction, len(fns))
	for _, fn := range fns {
		m[strings.ToLower(fn.Name())] = fn
	}
	return fixtureProvider{Provider: p.Provider, fns: m, procs: p.procs}, nil
}

// ExternalStoredProcedure implements sql.ExternalStoredProcedureProvider.
func (p fixtureProvider) ExternalStoredProcedure(_ *sql.Context, name string, numOfParams int) (*sql.ExternalStoredProcedureDetails, error) {
	return p.procs.LookupByNameAndParamCount(name, numOfParams)
}

// ExternalStoredProcedures implements sql.ExternalStoredProcedureProvider.
func (p fixtureProvider) ExternalStoredProcedures(_ *sql.Context, name string) ([]sql.ExternalStoredProcedureDetails, error) {
	return p.procs.LookupByName(name)
}
