package backend

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer/analyzererrors"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// Database is one database of the catalog. It holds only its name: every
// call reads the current catalog, so DDL by other sessions is visible.
type Database struct {
	p    *Provider
	name string
}

var (
	_ sql.Database                = (*Database)(nil)
	_ sql.TableCreator            = (*Database)(nil)
	_ sql.TableDropper            = (*Database)(nil)
	_ sql.TableRenamer            = (*Database)(nil)
	_ sql.CollatedDatabase        = (*Database)(nil)
	_ sql.ViewDatabase            = (*Database)(nil)
	_ sql.TriggerDatabase         = (*Database)(nil)
	_ sql.StoredProcedureDatabase = (*Database)(nil)
	_ sql.EventDatabase           = (*Database)(nil)
	_ sql.SchemaValidator         = (*Database)(nil)
	_ sql.TemporaryTableCreator   = (*Database)(nil)
	_ sql.TemporaryTableDatabase  = (*Database)(nil)
)

// maxRowLength is MySQL's limit on the declared size of a row (InnoDB
// counts TEXT and BLOB columns by their in-row pointer only).
const maxRowLength = 65_535

// ValidateSchema implements sql.SchemaValidator: tables MySQL would reject
// for their row size are rejected here too, so schemas stay portable.
func (d *Database) ValidateSchema(sch sql.Schema) error {
	var n int64
	for _, c := range sch {
		switch t := c.Type.(type) {
		case sql.StringType:
			if types.IsTextBlob(t) {
				n += 16
			} else {
				n += t.MaxByteLength()
			}
		case sql.DecimalType:
			n += int64(t.Precision()/2 + 1)
		default:
			n += 8
		}
	}
	if n > maxRowLength {
		return analyzererrors.ErrInvalidRowLength.New(maxRowLength, n)
	}
	return nil
}

// Name implements sql.Nameable.
func (d *Database) Name() string { return d.name }

// GetTableInsensitive implements sql.Database.
func (d *Database) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	if s := sessionOf(ctx); s != nil {
		if st := s.tempTable(d.name, name); st != nil {
			return &Table{db: d, st: st, temp: s}, true, nil
		}
	}
	st := d.p.catalog.table(d.name, name)
	if st == nil {
		return nil, false, nil
	}
	return &Table{db: d, st: st}, true, nil
}

// GetTableNames implements sql.Database.
func (d *Database) GetTableNames(*sql.Context) ([]string, error) {
	return d.p.catalog.tableNames(d.name), nil
}

// CreateTable implements sql.TableCreator.
func (d *Database) CreateTable(ctx *sql.Context, name string, schema sql.PrimaryKeySchema, collation sql.CollationID, comment string) error {
	def := &tableDef{
		Name:       name,
		Columns:    columnDefs(schema.Schema),
		PKOrdinals: append([]int(nil), schema.PkOrdinals...),
		Collation:  collation,
		Comment:    comment,
	}
	setFloatScales(def.Columns, declaredFloatScales(ctx.Query()))
	_, err := d.p.catalog.createTable(commitCtx(ctx), d.name, def)
	return err
}

// DropTable implements sql.TableDropper. A temporary table of the
// session hides a permanent one of the same name, as in MySQL.
func (d *Database) DropTable(ctx *sql.Context, name string) error {
	if s := sessionOf(ctx); s != nil {
		if st := s.tempTable(d.name, name); st != nil {
			s.setTempTable(d.name, name, nil)
			d.p.catalog.abandonTableID(st.def.ID)
			return nil
		}
	}
	if d.fulltextConfigInUse(name) || d.fulltextTableMissing(name) {
		return nil // see fulltextConfigInUse and fulltextTableMissing (fulltext.go)
	}
	if st := d.p.catalog.table(d.name, name); st != nil && len(st.fulltext) > 0 {
		return d.dropFulltextParent(ctx, st)
	}
	return d.p.catalog.dropTable(commitCtx(ctx), d.name, name)
}

// CreateTemporaryTable implements sql.TemporaryTableCreator.
func (d *Database) CreateTemporaryTable(ctx *sql.Context, name string, schema sql.PrimaryKeySchema, collation sql.CollationID) error {
	s := sessionOf(ctx)
	if s == nil {
		return sql.ErrTemporaryTableNotSupported.New()
	}
	if s.tempTable(d.name, name) != nil {
		return sql.ErrTableAlreadyExists.New(name)
	}
	id, err := d.p.catalog.newTableID(commitCtx(ctx))
	if err != nil {
		return err
	}
	def := &tableDef{
		ID:         id,
		Name:       name,
		Columns:    columnDefs(schema.Schema),
		PKOrdinals: append([]int(nil), schema.PkOrdinals...),
		Collation:  collation,
	}
	st, err := newTableState(d.name, def, nil)
	if err != nil {
		d.p.catalog.abandonTableID(id)
		return err
	}
	st.counters.rowsKnown.Store(true) // empty: the count starts exact
	s.setTempTable(d.name, name, st)
	return nil
}

// GetAllTemporaryTables implements sql.TemporaryTableDatabase.
func (d *Database) GetAllTemporaryTables(ctx *sql.Context) ([]sql.Table, error) {
	s := sessionOf(ctx)
	if s == nil {
		return nil, nil
	}
	var out []sql.Table
	for _, st := range s.tempTables(d.name) {
		out = append(out, &Table{db: d, st: st, temp: s})
	}
	return out, nil
}

// RenameTable implements sql.TableRenamer.
func (d *Database) RenameTable(ctx *sql.Context, oldName, newName string) error {
	st := d.p.catalog.table(d.name, oldName)
	if st == nil {
		return sql.ErrTableNotFound.New(oldName)
	}
	if !strings.EqualFold(oldName, newName) && d.p.catalog.table(d.name, newName) != nil {
		return sql.ErrTableAlreadyExists.New(newName)
	}
	def := st.def.clone()
	def.Name = newName
	for i := range def.ForeignKeys {
		def.ForeignKeys[i].Table = newName
		if strings.EqualFold(def.ForeignKeys[i].ParentTable, oldName) {
			def.ForeignKeys[i].ParentTable = newName
		}
	}
	if _, err := d.p.catalog.replaceTable(commitCtx(ctx), d.name, st, def); err != nil {
		return err
	}
	// Foreign keys of other tables follow the rename.
	for _, other := range d.p.catalog.tables(d.name) {
		changed := false
		odef := other.def.clone()
		for i, fk := range odef.ForeignKeys {
			if strings.EqualFold(fk.ParentTable, oldName) && strings.EqualFold(fk.ParentDatabase, d.name) {
				odef.ForeignKeys[i].ParentTable = newName
				changed = true
			}
		}
		if changed {
			if _, err := d.p.catalog.replaceTable(commitCtx(ctx), d.name, other, odef); err != nil {
				return err
			}
		}
	}
	return nil
}

// GetCollation implements sql.CollatedDatabase.
func (d *Database) GetCollation(*sql.Context) sql.CollationID {
	if s := d.p.catalog.database(d.name); s != nil && s.def.Collation != 0 {
		return s.def.Collation
	}
	return sql.Collation_Default
}

// SetCollation implements sql.CollatedDatabase.
func (d *Database) SetCollation(ctx *sql.Context, collation sql.CollationID) error {
	return d.p.catalog.setDatabaseCollation(commitCtx(ctx), d.name, collation)
}

// CreateView implements sql.ViewDatabase.
func (d *Database) CreateView(ctx *sql.Context, name, selectStatement, createViewStmt string) error {
	if d.p.catalog.table(d.name, name) != nil {
		return sql.ErrExistingView.New(d.name, name)
	}
	v := sql.ViewDefinition{Name: name, TextDefinition: selectStatement, CreateViewStatement: createViewStmt, SqlMode: sql.LoadSqlMode(ctx).String()}
	err := d.p.catalog.putObject(commitCtx(ctx), kindView, d.name, name, v, true)
	if errors.Is(err, errObjectExists) {
		return sql.ErrExistingView.New(d.name, name)
	}
	return err
}

// DropView implements sql.ViewDatabase.
func (d *Database) DropView(ctx *sql.Context, name string) error {
	ok, err := d.p.catalog.dropObject(commitCtx(ctx), kindView, d.name, name)
	if err == nil && !ok {
		return sql.ErrViewDoesNotExist.New(d.name, name)
	}
	return err
}

// GetViewDefinition implements sql.ViewDatabase.
func (d *Database) GetViewDefinition(_ *sql.Context, name string) (sql.ViewDefinition, bool, error) {
	return getObject[sql.ViewDefinition](d.p.catalog, kindView, d.name, name)
}

// AllViews implements sql.ViewDatabase.
func (d *Database) AllViews(*sql.Context) ([]sql.ViewDefinition, error) {
	return listObjects(d.p.catalog, kindView, d.name, func(a, b sql.ViewDefinition) bool { return a.Name < b.Name })
}

// GetTriggers implements sql.TriggerDatabase, in creation order (the
// order in which triggers of one event fire).
func (d *Database) GetTriggers(*sql.Context) ([]sql.TriggerDefinition, error) {
	stored, err := listObjects(d.p.catalog, kindTrigger, d.name, func(a, b storedTrigger) bool { return a.Seq < b.Seq })
	out := make([]sql.TriggerDefinition, len(stored))
	for i, t := range stored {
		out[i] = t.Def
	}
	return out, err
}

// storedTrigger keeps a trigger with its creation sequence: the order in
// which triggers of one event fire, when no FOLLOWS/PRECEDES says
// otherwise, and which creation times in whole seconds cannot give.
type storedTrigger struct {
	Def sql.TriggerDefinition `json:"def"`
	Seq int64                 `json:"seq"`
}

// CreateTrigger implements sql.TriggerDatabase.
func (d *Database) CreateTrigger(ctx *sql.Context, def sql.TriggerDefinition) error {
	if def.CreatedAt.IsZero() {
		def.CreatedAt = time.Now().UTC()
	}
	def.CreateStatement = stripExecutableComments(def.CreateStatement)
	st := storedTrigger{Def: def, Seq: time.Now().UnixNano()}
	err := d.p.catalog.putObject(commitCtx(ctx), kindTrigger, d.name, def.Name, st, true)
	if errors.Is(err, errObjectExists) {
		return fmt.Errorf("trigger %q already exists", def.Name)
	}
	return err
}

// DropTrigger implements sql.TriggerDatabase.
func (d *Database) DropTrigger(ctx *sql.Context, name string) error {
	ok, err := d.p.catalog.dropObject(commitCtx(ctx), kindTrigger, d.name, name)
	if err == nil && !ok {
		return sql.ErrTriggerDoesNotExist.New(name)
	}
	return err
}

// GetStoredProcedure implements sql.StoredProcedureDatabase.
func (d *Database) GetStoredProcedure(_ *sql.Context, name string) (sql.StoredProcedureDetails, bool, error) {
	return getObject[sql.StoredProcedureDetails](d.p.catalog, kindProcedure, d.name, name)
}

// GetStoredProcedures implements sql.StoredProcedureDatabase.
func (d *Database) GetStoredProcedures(*sql.Context) ([]sql.StoredProcedureDetails, error) {
	return listObjects(d.p.catalog, kindProcedure, d.name, func(a, b sql.StoredProcedureDetails) bool { return a.Name < b.Name })
}

// SaveStoredProcedure implements sql.StoredProcedureDatabase.
func (d *Database) SaveStoredProcedure(ctx *sql.Context, spd sql.StoredProcedureDetails) error {
	err := d.p.catalog.putObject(commitCtx(ctx), kindProcedure, d.name, spd.Name, spd, true)
	if errors.Is(err, errObjectExists) {
		return sql.ErrStoredProcedureAlreadyExists.New(spd.Name)
	}
	return err
}

// DropStoredProcedure implements sql.StoredProcedureDatabase.
func (d *Database) DropStoredProcedure(ctx *sql.Context, name string) error {
	ok, err := d.p.catalog.dropObject(commitCtx(ctx), kindProcedure, d.name, name)
	if err == nil && !ok {
		return sql.ErrStoredProcedureDoesNotExist.New(name)
	}
	return err
}

// GetEvent implements sql.EventDatabase.
func (d *Database) GetEvent(_ *sql.Context, name string) (sql.EventDefinition, bool, error) {
	return getObject[sql.EventDefinition](d.p.catalog, kindEvent, d.name, name)
}

// GetEvents implements sql.EventDatabase.
func (d *Database) GetEvents(*sql.Context) ([]sql.EventDefinition, any, error) {
	out, err := listObjects(d.p.catalog, kindEvent, d.name, func(a, b sql.EventDefinition) bool { return a.Name < b.Name })
	return out, nil, err
}

// NeedsToReloadEvents implements sql.EventDatabase.
func (d *Database) NeedsToReloadEvents(*sql.Context, any) (bool, error) { return false, nil }

// SaveEvent implements sql.EventDatabase.
func (d *Database) SaveEvent(ctx *sql.Context, ed sql.EventDefinition) (bool, error) {
	ed.EventBody = stripExecutableComments(ed.EventBody)
	err := d.p.catalog.putObject(commitCtx(ctx), kindEvent, d.name, ed.Name, ed, true)
	if errors.Is(err, errObjectExists) {
		return false, sql.ErrEventAlreadyExists.New(ed.Name)
	}
	return ed.Status == sql.EventStatus_Enable.String(), err
}

// DropEvent implements sql.EventDatabase.
func (d *Database) DropEvent(ctx *sql.Context, name string) error {
	ok, err := d.p.catalog.dropObject(commitCtx(ctx), kindEvent, d.name, name)
	if err == nil && !ok {
		return sql.ErrEventDoesNotExist.New(name)
	}
	return err
}

// UpdateEvent implements sql.EventDatabase.
func (d *Database) UpdateEvent(ctx *sql.Context, originalName string, ed sql.EventDefinition) (bool, error) {
	if !strings.EqualFold(originalName, ed.Name) {
		// RENAME TO: the new name must be free (it used to be overwritten,
		// losing that event); store it first, then drop the old name.
		err := d.p.catalog.putObject(commitCtx(ctx), kindEvent, d.name, ed.Name, ed, true)
		if errors.Is(err, errObjectExists) {
			return false, sql.ErrEventAlreadyExists.New(ed.Name)
		}
		if err != nil {
			return false, err
		}
		if _, err := d.p.catalog.dropObject(commitCtx(ctx), kindEvent, d.name, originalName); err != nil {
			return false, err
		}
		return ed.Status == sql.EventStatus_Enable.String(), nil
	}
	ed.EventBody = stripExecutableComments(ed.EventBody)
	err := d.p.catalog.putObject(commitCtx(ctx), kindEvent, d.name, ed.Name, ed, false)
	return ed.Status == sql.EventStatus_Enable.String(), err
}

// UpdateLastExecuted implements sql.EventDatabase.
func (d *Database) UpdateLastExecuted(ctx *sql.Context, name string, lastExecuted time.Time) error {
	ed, ok, err := d.GetEvent(ctx, name)
	if err != nil || !ok {
		return err
	}
	ed.LastExecuted = lastExecuted
	return d.p.catalog.putObject(commitCtx(ctx), kindEvent, d.name, name, ed, false)
}
