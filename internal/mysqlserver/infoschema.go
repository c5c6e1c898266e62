package mysqlserver

import (
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/information_schema"
	"github.com/shopspring/decimal"
)

// padDecimalDefaultsOnce installs padDecimalDefaults. go-mysql-server
// builds information_schema.columns through a process-wide constructor
// (information_schema.NewColumnsTable), so the change is process-wide too;
// it is stateless, and sync.Once orders it before any engine of this
// process runs a query.
var padDecimalDefaultsOnce sync.Once

// padDecimalDefaults makes information_schema.columns report the default
// of a DECIMAL column with the column's scale, as MySQL does ('0.000' for
// DECIMAL(10,3) DEFAULT 0; go-mysql-server v0.20.0 says '0'). Schema
// migrators compare that text with the model: GORM's AutoMigrate otherwise
// alters every DECIMAL column with a default on every run.
func padDecimalDefaults() {
	padDecimalDefaultsOnce.Do(func() {
		newTable := information_schema.NewColumnsTable
		information_schema.NewColumnsTable = func() *information_schema.ColumnsTable {
			t := newTable()
			cols := newColumnsPositions(t.TableSchema)
			if cols.dflt < 0 || cols.dataType < 0 || cols.scale < 0 {
				return t
			}
			rowIter := t.RowIter
			t.RowIter = func(ctx *sql.Context, c sql.Catalog, s sql.Schema) (sql.RowIter, error) {
				it, err := rowIter(ctx, c, s)
				if err != nil {
					return nil, err
				}
				return &decimalDefaultIter{RowIter: it, cols: cols}, nil
			}
			return t
		}
	})
}

// columnsPositions are the positions of the columns padDecimalDefaults
// reads and writes, -1 when missing.
type columnsPositions struct{ dflt, dataType, scale int }

func newColumnsPositions(sch sql.Schema) columnsPositions {
	return columnsPositions{
		dflt:     sch.IndexOfColName("COLUMN_DEFAULT"),
		dataType: sch.IndexOfColName("DATA_TYPE"),
		scale:    sch.IndexOfColName("NUMERIC_SCALE"),
	}
}

// decimalDefaultIter rewrites the COLUMN_DEFAULT of DECIMAL columns.
type decimalDefaultIter struct {
	sql.RowIter
	cols columnsPositions
}

func (it *decimalDefaultIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := it.RowIter.Next(ctx)
	if err != nil {
		return row, err
	}
	c := it.cols
	if len(row) <= max(c.dflt, c.dataType, c.scale) {
		return row, nil
	}
	dt, _ := row[c.dataType].(string)
	dflt, _ := row[c.dflt].(string)
	scale, ok := row[c.scale].(int)
	if !ok || scale <= 0 || dflt == "" || !strings.EqualFold(dt, "decimal") {
		return row, nil
	}
	d, err := decimal.NewFromString(dflt)
	if err != nil {
		return row, nil // an expression default: shown as written
	}
	row = row.Copy()
	row[c.dflt] = d.StringFixed(int32(scale))
	return row, nil
}

// isolatedInfoSchema hands every statement its own copy of an
// information_schema table that keeps state. go-mysql-server's
// information_schema database holds one instance of each table for the
// whole process and its plan builder writes into it on every query
// (AssignCatalog; AssignProcedures for routines and parameters): a data
// race between concurrent information_schema queries, which the race
// detector reports (monitoring tools and exporters run them in parallel).
// It also adds the stored functions to ROUTINES.
type isolatedInfoSchema struct {
	sql.Database
	functions *storedFunctions
}

// GetTableInsensitive implements sql.Database.
func (db isolatedInfoSchema) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	t, ok, err := db.Database.GetTableInsensitive(ctx, name)
	if !ok || err != nil {
		return t, ok, err
	}
	switch tt := t.(type) {
	case *information_schema.ColumnsTable:
		return t, true, nil // a new one per lookup already
	case *information_schema.InformationSchemaTable:
		c := *tt
		return &c, true, nil
	case sql.CatalogTable:
		// statistics, routines and parameters: types the package does
		// not export, so a fresh database's instance stands in.
		fresh, ok, err := information_schema.NewInformationSchemaDatabase().GetTableInsensitive(ctx, name)
		if ok && err == nil && strings.EqualFold(name, information_schema.RoutinesTableName) {
			fresh = functionRoutines{Table: fresh, fs: db.functions}
		}
		return fresh, ok, err
	}
	return t, true, nil
}
