package backend

import (
	"errors"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
)

// StoredFunction is a stored function (CREATE FUNCTION) as the catalog
// keeps it. go-mysql-server v0.20.0 has no stored functions, so the
// record is guocedb's own: the statement as the client sent it (SHOW
// CREATE FUNCTION shows it and internal/mysqlserver compiles it), and
// what MySQL reports beside it. It is stored and replicated like a
// procedure, under the catalog's object namespace, and dropped with its
// database.
type StoredFunction struct {
	Name            string
	CreateStatement string
	// SQLMode is the sql_mode at CREATE FUNCTION, which MySQL runs the
	// body under and shows in SHOW CREATE FUNCTION.
	SQLMode    string
	Definer    string
	CreatedAt  time.Time
	ModifiedAt time.Time
}

// ErrFunctionExists is returned by SaveStoredFunction for a name taken.
var ErrFunctionExists = errors.New("function already exists")

// GetStoredFunction returns the stored function named name (any case)
// and whether it exists.
func (d *Database) GetStoredFunction(_ *sql.Context, name string) (StoredFunction, bool, error) {
	return getObject[StoredFunction](d.p.catalog, kindFunction, d.name, name)
}

// GetStoredFunctions returns the database's stored functions by name.
func (d *Database) GetStoredFunctions(*sql.Context) ([]StoredFunction, error) {
	return listObjects(d.p.catalog, kindFunction, d.name, func(a, b StoredFunction) bool { return a.Name < b.Name })
}

// SaveStoredFunction stores a new stored function through the catalog's
// commit path; ErrFunctionExists when the name is taken.
func (d *Database) SaveStoredFunction(ctx *sql.Context, f StoredFunction) error {
	err := d.p.catalog.putObject(commitCtx(ctx), kindFunction, d.name, f.Name, f, true)
	if errors.Is(err, errObjectExists) {
		return ErrFunctionExists
	}
	return err
}

// DropStoredFunction removes a stored function, reporting whether it
// existed.
func (d *Database) DropStoredFunction(ctx *sql.Context, name string) (bool, error) {
	return d.p.catalog.dropObject(commitCtx(ctx), kindFunction, d.name, name)
}
