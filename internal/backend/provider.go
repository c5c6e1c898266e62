package backend

import (
	"context"
	"log/slog"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/guocedb/guocedb/internal/storage"
)

// Provider is the go-mysql-server DatabaseProvider over the catalog.
type Provider struct {
	store   *storage.Store
	catalog *Catalog
	logger  *slog.Logger
}

var (
	_ sql.DatabaseProvider         = (*Provider)(nil)
	_ sql.MutableDatabaseProvider  = (*Provider)(nil)
	_ sql.CollatedDatabaseProvider = (*Provider)(nil)
)

// NewProvider loads the catalog from store.
func NewProvider(ctx context.Context, store *storage.Store, logger *slog.Logger) (*Provider, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	registerLockVariables()
	registerReadVariables()
	cat, err := OpenCatalog(ctx, store, logger)
	if err != nil {
		return nil, err
	}
	return &Provider{store: store, catalog: cat, logger: logger}, nil
}

// Catalog returns the persisted catalog (users and grants live there too).
func (p *Provider) Catalog() *Catalog { return p.catalog }

// Store returns the underlying store.
func (p *Provider) Store() *storage.Store { return p.store }

// Close stops background work and persists counters.
func (p *Provider) Close() error { return p.catalog.Close() }

// Database implements sql.DatabaseProvider.
func (p *Provider) Database(_ *sql.Context, name string) (sql.Database, error) {
	d := p.catalog.database(name)
	if d == nil {
		return nil, sql.ErrDatabaseNotFound.New(name)
	}
	return &Database{p: p, name: d.def.Name}, nil
}

// HasDatabase implements sql.DatabaseProvider.
func (p *Provider) HasDatabase(_ *sql.Context, name string) bool {
	return p.catalog.database(name) != nil
}

// AllDatabases implements sql.DatabaseProvider.
func (p *Provider) AllDatabases(*sql.Context) []sql.Database {
	names := p.catalog.databaseNames()
	out := make([]sql.Database, len(names))
	for i, n := range names {
		out[i] = &Database{p: p, name: n}
	}
	return out
}

// CreateDatabase implements sql.MutableDatabaseProvider.
func (p *Provider) CreateDatabase(ctx *sql.Context, name string) error {
	return p.CreateCollatedDatabase(ctx, name, sql.Collation_Default)
}

// CreateCollatedDatabase implements sql.CollatedDatabaseProvider.
func (p *Provider) CreateCollatedDatabase(ctx *sql.Context, name string, collation sql.CollationID) error {
	if strings.EqualFold(name, "information_schema") || strings.EqualFold(name, "mysql") {
		return sql.ErrDatabaseExists.New(name)
	}
	return p.catalog.createDatabase(commitCtx(ctx), name, collation)
}

// DropDatabase implements sql.MutableDatabaseProvider.
func (p *Provider) DropDatabase(ctx *sql.Context, name string) error {
	return p.catalog.dropDatabase(commitCtx(ctx), name)
}
