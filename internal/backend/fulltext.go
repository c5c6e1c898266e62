package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/fulltext"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/guocedb/guocedb/internal/storage"
)

// FULLTEXT indexes follow go-mysql-server's design: the engine (package
// sql/fulltext) tokenizes the text and keeps, per index, four pseudo-tables
// (word positions, per-document word counts, global word counts, row
// counts) plus one config table per parent table. guocedb stores those as
// ordinary tables of the catalog, so they are transactional, survive a
// restart and are dropped like any table; the parent's index definition
// names them (fulltextDef). They are hidden from table lists (SHOW TABLES,
// information_schema, dumps), as InnoDB hides its FTS_* auxiliary tables,
// but stay readable by name.

var (
	_ fulltext.Database            = (*Database)(nil)
	_ fulltext.IndexAlterableTable = (*Table)(nil)
	_ fulltext.EditableTable       = (*Table)(nil)
	_ fulltext.Index               = (*Index)(nil)
)

// errFulltextTemporary is InnoDB's refusal (ER_INNODB_NO_FT_TEMP_TABLE).
var errFulltextTemporary = mysql.NewSQLError(1796, mysql.SSUnknownSQLState, "Cannot create FULLTEXT index on temporary InnoDB table")

// fulltextDef is the persisted part of a FULLTEXT index: its pseudo-tables
// and the parent key columns the engine copies into them (fixed when the
// index is built, because the pseudo-tables' schemas contain them).
type fulltextDef struct {
	Position    string `json:"position"`
	DocCount    string `json:"doc_count"`
	GlobalCount string `json:"global_count"`
	RowCount    string `json:"row_count"`
	// KeyType is fulltext.KeyType: primary key, unique key or none (the
	// pseudo-tables then key rows by a hash of the whole row).
	KeyType      fulltext.KeyType `json:"key_type"`
	KeyName      string           `json:"key_name,omitempty"`
	KeyPositions []int            `json:"key_positions,omitempty"`
}

func (f *fulltextDef) tables() []string {
	return []string{f.Position, f.DocCount, f.GlobalCount, f.RowCount}
}

// newFulltextIndex is the planner's view of a FULLTEXT index.
func newFulltextIndex(t *tableState, ix *indexState) *Index {
	i := newIndex(t, ix.def.Name, ix.def.ID, false, ix.def.Comment, ix.ordinals, nil)
	i.extExprs, i.extTypes, i.extPKPos = nil, nil, nil
	i.ft = ix.def.Fulltext
	i.ftConfig = t.def.FulltextConfig
	return i
}

// FullTextTableNames implements fulltext.Index.
func (i *Index) FullTextTableNames(*sql.Context) (fulltext.IndexTableNames, error) {
	if i.ft == nil {
		return fulltext.IndexTableNames{}, fmt.Errorf("index %s is not a FULLTEXT index", i.name)
	}
	return fulltext.IndexTableNames{
		Config:      i.ftConfig,
		Position:    i.ft.Position,
		DocCount:    i.ft.DocCount,
		GlobalCount: i.ft.GlobalCount,
		RowCount:    i.ft.RowCount,
	}, nil
}

// FullTextKeyColumns implements fulltext.Index.
func (i *Index) FullTextKeyColumns(*sql.Context) (fulltext.KeyColumns, error) {
	if i.ft == nil {
		return fulltext.KeyColumns{}, fmt.Errorf("index %s is not a FULLTEXT index", i.name)
	}
	return fulltext.KeyColumns{
		Type:      i.ft.KeyType,
		Name:      i.ft.KeyName,
		Positions: append([]int(nil), i.ft.KeyPositions...),
	}, nil
}

// CreateFulltextTableNames implements fulltext.Database. The config table
// is shared by all FULLTEXT indexes of a table; the others get a numbered
// prefix no existing table (hidden ones included) starts with, so a name
// is never reused while an old table of that name may still exist.
func (d *Database) CreateFulltextTableNames(ctx *sql.Context, parent, index string) (fulltext.IndexTableNames, error) {
	if s := sessionOf(ctx); s != nil && s.tempTable(d.name, parent) != nil {
		// Refused before the engine creates any pseudo-table.
		return fulltext.IndexTableNames{}, errFulltextTemporary
	}
	st := d.p.catalog.table(d.name, parent)
	if st == nil {
		return fulltext.IndexTableNames{}, sql.ErrTableNotFound.New(parent)
	}
	config := st.def.FulltextConfig
	if config == "" {
		config = freeName(strings.ToLower(parent)+"_fts_config", func(n string) bool { return d.p.catalog.table(d.name, n) != nil })
	}
	existing := d.p.catalog.allTableNames(d.name)
	prefix := freeName(strings.ToLower(parent+"_"+index), func(p string) bool {
		for _, n := range existing {
			if strings.HasPrefix(strings.ToLower(n), p+"_fts_") {
				return true
			}
		}
		return false
	})
	return fulltext.IndexTableNames{
		Config:      config,
		Position:    prefix + "_fts_position",
		DocCount:    prefix + "_fts_doc_count",
		GlobalCount: prefix + "_fts_global_count",
		RowCount:    prefix + "_fts_row_count",
	}, nil
}

// freeName returns base, or base with the first numeric suffix, that taken
// does not reject. The number of tables bounds the loop.
func freeName(base string, taken func(string) bool) string {
	name := base
	for n := 1; taken(name); n++ {
		name = fmt.Sprintf("%s_%d", base, n)
	}
	return name
}

// CreateFulltextIndex implements fulltext.IndexAlterableTable. The engine
// has created the pseudo-tables already and fills them after this call.
func (t *Table) CreateFulltextIndex(ctx *sql.Context, idx sql.IndexDef, keyCols fulltext.KeyColumns, names fulltext.IndexTableNames) error {
	err := t.createFulltextIndex(ctx, idx, keyCols, names)
	if err == nil {
		return nil
	}
	// The pseudo-tables were created for this index alone: do not leave
	// them behind, visible, without an index naming them.
	drop := []string{names.Position, names.DocCount, names.GlobalCount, names.RowCount}
	if !t.db.fulltextConfigInUse(names.Config) {
		drop = append(drop, names.Config)
	}
	for _, n := range drop {
		if derr := t.db.DropTable(ctx, n); derr != nil && !sql.ErrTableNotFound.Is(derr) {
			return errors.Join(err, derr)
		}
	}
	return err
}

func (t *Table) createFulltextIndex(ctx *sql.Context, idx sql.IndexDef, keyCols fulltext.KeyColumns, names fulltext.IndexTableNames) error {
	if t.temp != nil {
		return errFulltextTemporary
	}
	def := t.st.def.clone()
	if def.FulltextConfig != "" && !strings.EqualFold(def.FulltextConfig, names.Config) && len(t.st.fulltext) > 0 {
		return fmt.Errorf("table %s: FULLTEXT config table is %s, not %s", def.Name, def.FulltextConfig, names.Config)
	}
	name := idx.Name
	if name == "" {
		name = idx.Columns[0].Name
	}
	if strings.EqualFold(name, "PRIMARY") {
		return sql.ErrDuplicateKey.New(name)
	}
	if _, ok := def.index(name); ok {
		return sql.ErrDuplicateKey.New(name)
	}
	cols := make([]sql.IndexColumn, len(idx.Columns))
	for i, c := range idx.Columns {
		if t.st.schema.IndexOfColName(c.Name) < 0 {
			return sql.ErrKeyColumnDoesNotExist.New(c.Name)
		}
		cols[i] = sql.IndexColumn{Name: c.Name} // FULLTEXT takes no prefix length
	}
	def.FulltextConfig = names.Config
	def.NextIndexID++
	def.Indexes = append(def.Indexes, indexDef{
		ID:      def.NextIndexID,
		Name:    name,
		Columns: cols,
		Comment: idx.Comment,
		Fulltext: &fulltextDef{
			Position:     names.Position,
			DocCount:     names.DocCount,
			GlobalCount:  names.GlobalCount,
			RowCount:     names.RowCount,
			KeyType:      keyCols.Type,
			KeyName:      keyCols.Name,
			KeyPositions: append([]int(nil), keyCols.Positions...),
		},
	})
	return t.replace(ctx, def)
}

// rowEditor is the editor the engine writes rows through: the table's own,
// followed by go-mysql-server's FULLTEXT editor when the table has FULLTEXT
// indexes (fulltextRowEditor), so their pseudo-tables change in the same
// transaction and statement as the row.
func (t *Table) rowEditor(ctx *sql.Context) sql.ForeignKeyEditor {
	e := t.editor(ctx)
	if len(t.st.fulltext) == 0 || e.err != nil {
		return e
	}
	ft, err := t.fulltextEditor(ctx)
	if err == nil {
		return &fulltextRowEditor{primary: e, ft: ft, table: t.Name()}
	}
	// Every write then fails with this error (editor.writable).
	e.err = fmt.Errorf("table %s: FULLTEXT index: %w", t.Name(), err)
	return e
}

// fulltextEditor builds the engine's FULLTEXT editor over the pseudo-tables
// of every FULLTEXT index of the table.
func (t *Table) fulltextEditor(ctx *sql.Context) (fulltext.TableEditor, error) {
	full := *t
	full.proj = nil // the engine checks the pseudo-tables against the full schema
	config, err := t.fulltextTable(ctx, t.st.def.FulltextConfig)
	if err != nil {
		return fulltext.TableEditor{}, err
	}
	var sets []fulltext.TableSet
	for _, ix := range t.st.planIndexes {
		fi, ok := ix.(*Index)
		if !ok || fi.ft == nil {
			continue
		}
		tbls := make([]fulltext.EditableTable, 4)
		for i, name := range fi.ft.tables() {
			if tbls[i], err = t.fulltextTable(ctx, name); err != nil {
				return fulltext.TableEditor{}, err
			}
		}
		sets = append(sets, fulltext.TableSet{Index: fi, Position: tbls[0], DocCount: tbls[1], GlobalCount: tbls[2], RowCount: tbls[3]})
	}
	return fulltext.CreateEditor(ctx, &full, config, sets...)
}

// fulltextTable opens one pseudo-table of this table's FULLTEXT indexes.
func (t *Table) fulltextTable(ctx *sql.Context, name string) (fulltext.EditableTable, error) {
	tbl, ok, err := t.db.GetTableInsensitive(ctx, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("table %s: FULLTEXT pseudo-table %s is missing", t.Name(), name)
	}
	et, ok := tbl.(*Table)
	if !ok {
		return nil, fmt.Errorf("table %s: FULLTEXT pseudo-table %s is a %T", t.Name(), name, tbl)
	}
	aux := *et
	aux.ftAux = true
	return &aux, nil
}

// hiddenFulltextTables returns the lower-cased names of the pseudo-tables
// of every FULLTEXT index in d, which table lists leave out. Derived from
// the parents' definitions, it cannot disagree with them.
func hiddenFulltextTables(d *dbState) map[string]bool {
	var hidden map[string]bool
	for _, st := range d.tables {
		if len(st.fulltext) == 0 {
			continue
		}
		if hidden == nil {
			hidden = map[string]bool{}
		}
		hidden[strings.ToLower(st.def.FulltextConfig)] = true
		for _, ix := range st.fulltext {
			for _, n := range ix.def.Fulltext.tables() {
				hidden[strings.ToLower(n)] = true
			}
		}
	}
	return hidden
}

// allTableNames lists every table of db, FULLTEXT pseudo-tables included.
func (c *Catalog) allTableNames(db string) []string {
	var out []string
	for _, st := range c.tables(db) {
		out = append(out, st.def.Name)
	}
	return out
}

// dropFulltextIndex installs def, the table without one of its FULLTEXT
// indexes (whose pseudo-tables the engine has dropped), and drops the
// shared config table with the last one. The engine decides when to drop
// the config table by counting the FULLTEXT indexes listed before the
// dropped one only, so Database.DropTable leaves a config table in use
// alone and it is dropped here instead.
func (t *Table) dropFulltextIndex(ctx *sql.Context, def *tableDef) error {
	config := ""
	if !hasFulltext(def) {
		config, def.FulltextConfig = def.FulltextConfig, ""
	}
	if err := t.replace(ctx, def); err != nil {
		return err
	}
	if config == "" {
		return nil
	}
	if err := t.db.DropTable(ctx, config); err != nil && !sql.ErrTableNotFound.Is(err) {
		return err
	}
	return nil
}

func hasFulltext(def *tableDef) bool {
	for _, ix := range def.Indexes {
		if ix.Fulltext != nil {
			return true
		}
	}
	return false
}

// fulltextConfigInUse reports whether name is the config table of a table
// that still has FULLTEXT indexes.
func (d *Database) fulltextConfigInUse(name string) bool {
	for _, st := range d.p.catalog.tables(d.name) {
		if len(st.fulltext) > 0 && strings.EqualFold(st.def.FulltextConfig, name) {
			return true
		}
	}
	return false
}

// fulltextTableMissing reports whether name is a pseudo-table that a
// FULLTEXT index names but that no longer exists (a user dropped it by
// name). Dropping it again succeeds, so that DROP INDEX and DROP TABLE can
// still remove the broken index.
func (d *Database) fulltextTableMissing(name string) bool {
	if d.p.catalog.table(d.name, name) != nil {
		return false
	}
	for _, st := range d.p.catalog.tables(d.name) {
		for _, ix := range st.fulltext {
			for _, n := range ix.def.Fulltext.tables() {
				if strings.EqualFold(n, name) {
					return true
				}
			}
		}
	}
	return false
}

// dropFulltextParent drops a table together with the pseudo-tables of its
// FULLTEXT indexes, in one catalog commit. go-mysql-server's DROP TABLE
// means to drop them first (fulltext.DropAllIndexes), but its check for
// FULLTEXT indexes looks at the plan node rather than the table and never
// finds any.
func (d *Database) dropFulltextParent(ctx *sql.Context, st *tableState) error {
	names := []string{st.def.Name, st.def.FulltextConfig}
	for _, ix := range st.fulltext {
		names = append(names, ix.def.Fulltext.tables()...)
	}
	return d.p.catalog.dropTables(commitCtx(ctx), d.name, names)
}

// dropTables drops the named tables that exist, in one commit; the first
// name must exist.
func (c *Catalog) dropTables(ctx context.Context, db string, names []string) error {
	c.mu.Lock()
	c.gen.Add(1)
	defer c.mu.Unlock()
	d := c.dbs[strings.ToLower(db)]
	if d == nil {
		return sql.ErrDatabaseNotFound.New(db)
	}
	if _, ok := d.tables[strings.ToLower(names[0])]; !ok {
		return sql.ErrTableNotFound.New(names[0])
	}
	var muts []storage.Mutation
	var dropped []string
	for _, n := range names {
		t, ok := d.tables[strings.ToLower(n)]
		if !ok || slices.Contains(dropped, strings.ToLower(n)) {
			continue
		}
		dropped = append(dropped, strings.ToLower(n))
		muts = append(muts, storage.Mutation{Key: tableKey(db, t.def.Name), Delete: true}, gcMutation(t.def.ID))
	}
	if err := c.commitCatalog(ctx, muts...); err != nil {
		return err
	}
	for _, n := range dropped {
		delete(d.tables, n)
	}
	c.wakeGC()
	return nil
}

// rebuildFulltextAfterRewrite brings the FULLTEXT indexes of a rewritten
// table up to date: the rewrite copied rows only, and may have dropped
// indexed columns (and with the last one the index) or changed the key
// columns the pseudo-tables hold. Pseudo-tables of indexes that are gone
// are dropped, the others rebuilt from the new rows.
func (t *Table) rebuildFulltextAfterRewrite(ctx *sql.Context, old *tableState) error {
	if len(old.fulltext) == 0 {
		return nil
	}
	for _, ix := range old.fulltext {
		if _, ok := t.st.def.index(ix.def.Name); ok {
			continue
		}
		for _, n := range ix.def.Fulltext.tables() {
			if err := t.db.DropTable(ctx, n); err != nil && !sql.ErrTableNotFound.Is(err) {
				return err
			}
		}
	}
	if len(t.st.fulltext) == 0 {
		return t.dropFulltextIndex(ctx, t.st.def.clone())
	}
	return fulltext.RebuildTables(ctx, t, t.db)
}

// fulltextRowCount makes the row count exact before a MATCH uses it: the
// relevance formula divides by it, and an unknown count (0 until the
// background count after a restart finishes) would give no matches.
func (t *Table) fulltextRowCount(ctx *sql.Context) error {
	c := t.st.counters
	if len(t.st.fulltext) == 0 || c.rowsKnown.Load() {
		return nil
	}
	n, err := t.countRows(ctx)
	if err != nil {
		return err
	}
	c.rows.Store(n)
	c.rowsKnown.Store(true)
	return nil
}
