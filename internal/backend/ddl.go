package backend

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/guocedb/guocedb/internal/codec"
)

func encodeRow(st *tableState, row sql.Row) ([]byte, error) {
	return codec.EncodeRow(nil, st.schema, row)
}

// CreateIndex implements sql.IndexAlterableTable. The index starts as
// Building; BuildIndex fills it and makes it visible to the planner.
func (t *Table) CreateIndex(ctx *sql.Context, idx sql.IndexDef) error {
	if idx.IsFullText() || idx.IsSpatial() || idx.IsVector() {
		return sql.ErrUnsupportedFeature.New("FULLTEXT, SPATIAL and VECTOR indexes")
	}
	def := t.st.def.clone()
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
	for _, c := range idx.Columns {
		o := t.st.schema.IndexOfColName(c.Name)
		if o < 0 {
			return sql.ErrKeyColumnDoesNotExist.New(c.Name)
		}
		if c.Length == 0 && (types.IsTextBlob(t.st.schema[o].Type)) {
			return sql.ErrInvalidBlobTextKey.New(c.Name)
		}
		if types.IsJSON(t.st.schema[o].Type) {
			return sql.ErrJSONIndex.New(c.Name)
		}
	}
	def.NextIndexID++
	def.Indexes = append(def.Indexes, indexDef{
		ID:       def.NextIndexID,
		Name:     name,
		Columns:  idx.Columns,
		Unique:   idx.IsUnique(),
		Comment:  idx.Comment,
		Building: true,
	})
	return t.replace(ctx, def)
}

// ShouldBuildIndex implements sql.IndexBuildingTable.
func (t *Table) ShouldBuildIndex(*sql.Context, sql.IndexDef) (bool, error) { return true, nil }

// BuildIndex implements sql.IndexBuildingTable: the engine streams every
// row into the returned inserter, which writes only the new index's
// entries, in batches, and publishes the index on Close.
func (t *Table) BuildIndex(ctx *sql.Context, idx sql.IndexDef) (sql.RowInserter, error) {
	i, ok := t.st.def.index(idx.Name)
	if !ok {
		return nil, sql.ErrIndexNotFound.New(idx.Name)
	}
	def := t.st.def.clone()
	r, err := t.newRewriter(ctx, def, false)
	if err != nil {
		return nil, err
	}
	r.st.counters = t.st.counters
	r.indexOf = map[uint32]bool{def.Indexes[i].ID: true}
	return &indexBuilder{rewriter: r, name: idx.Name}, nil
}

// indexBuilder drops the half-built index when the build fails (for
// example on a duplicate in a new UNIQUE index).
type indexBuilder struct {
	*rewriter
	name string
}

func (b *indexBuilder) Close(ctx *sql.Context) error {
	if b.failed {
		b.closed = true
		b.txn.Discard()
		return b.t.dropIndex(ctx, b.name)
	}
	return b.rewriter.Close(ctx)
}

// DropIndex implements sql.IndexAlterableTable.
func (t *Table) DropIndex(ctx *sql.Context, name string) error { return t.dropIndex(ctx, name) }

func (t *Table) dropIndex(ctx *sql.Context, name string) error {
	i, ok := t.st.def.index(name)
	if !ok {
		return sql.ErrIndexNotFound.New(name)
	}
	def := t.st.def.clone()
	id := def.Indexes[i].ID
	def.Indexes = append(def.Indexes[:i], def.Indexes[i+1:]...)
	if err := t.replace(ctx, def); err != nil {
		return err
	}
	p := indexPrefix(def.ID, id)
	return deleteRange(commitCtx(ctx), t.store(), p, prefixEnd(p), nil)
}

// RenameIndex implements sql.IndexAlterableTable.
func (t *Table) RenameIndex(ctx *sql.Context, from, to string) error {
	i, ok := t.st.def.index(from)
	if !ok {
		return sql.ErrIndexNotFound.New(from)
	}
	if _, dup := t.st.def.index(to); dup && !strings.EqualFold(from, to) {
		return sql.ErrDuplicateKey.New(to)
	}
	def := t.st.def.clone()
	def.Indexes[i].Name = to
	return t.replace(ctx, def)
}

// CreatePrimaryKey implements sql.PrimaryKeyAlterableTable. The engine
// uses RewriteInserter instead, because Table is a RewritableTable.
func (t *Table) CreatePrimaryKey(*sql.Context, []sql.IndexColumn) error {
	return fmt.Errorf("ADD PRIMARY KEY on %s requires a table rewrite", t.Name())
}

// DropPrimaryKey implements sql.PrimaryKeyAlterableTable; see
// CreatePrimaryKey.
func (t *Table) DropPrimaryKey(*sql.Context) error {
	return fmt.Errorf("DROP PRIMARY KEY on %s requires a table rewrite", t.Name())
}

// CreateCheck implements sql.CheckAlterableTable.
func (t *Table) CreateCheck(ctx *sql.Context, check *sql.CheckDefinition) error {
	for _, c := range t.st.def.Checks {
		if strings.EqualFold(c.Name, check.Name) {
			return fmt.Errorf("duplicate check constraint name %q", check.Name)
		}
	}
	def := t.st.def.clone()
	def.Checks = append(def.Checks, *check)
	return t.replace(ctx, def)
}

// DropCheck implements sql.CheckAlterableTable.
func (t *Table) DropCheck(ctx *sql.Context, name string) error {
	def := t.st.def.clone()
	for i, c := range def.Checks {
		if strings.EqualFold(c.Name, name) {
			def.Checks = append(def.Checks[:i], def.Checks[i+1:]...)
			return t.replace(ctx, def)
		}
	}
	return fmt.Errorf("check constraint %q not found", name)
}

// CreateIndexForForeignKey implements sql.ForeignKeyTable.
func (t *Table) CreateIndexForForeignKey(ctx *sql.Context, idx sql.IndexDef) error {
	if err := t.CreateIndex(ctx, idx); err != nil {
		return err
	}
	b, err := t.BuildIndex(ctx, idx)
	if err != nil {
		return err
	}
	rows, err := t.allRows(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := b.Insert(ctx, r); err != nil {
			_ = b.DiscardChanges(ctx, err)
			_ = b.Close(ctx)
			return err
		}
	}
	return b.Close(ctx)
}

func (t *Table) allRows(ctx *sql.Context) ([]sql.Row, error) {
	pi, err := t.Partitions(ctx)
	if err != nil {
		return nil, err
	}
	iter := sql.NewTableRowIter(ctx, t, pi)
	return sql.RowIterToRows(ctx, iter)
}

// GetDeclaredForeignKeys implements sql.ForeignKeyTable.
func (t *Table) GetDeclaredForeignKeys(*sql.Context) ([]sql.ForeignKeyConstraint, error) {
	return append([]sql.ForeignKeyConstraint(nil), t.st.def.ForeignKeys...), nil
}

// GetReferencedForeignKeys implements sql.ForeignKeyTable: the foreign
// keys of every table in the database that point at this one.
func (t *Table) GetReferencedForeignKeys(*sql.Context) ([]sql.ForeignKeyConstraint, error) {
	var out []sql.ForeignKeyConstraint
	for _, other := range t.db.p.catalog.tables(t.st.db) {
		for _, fk := range other.def.ForeignKeys {
			if strings.EqualFold(fk.ParentDatabase, t.st.db) && strings.EqualFold(fk.ParentTable, t.st.def.Name) {
				out = append(out, fk)
			}
		}
	}
	return out, nil
}

// AddForeignKey implements sql.ForeignKeyTable.
func (t *Table) AddForeignKey(ctx *sql.Context, fk sql.ForeignKeyConstraint) error {
	for _, f := range t.st.def.ForeignKeys {
		if strings.EqualFold(f.Name, fk.Name) {
			return sql.ErrForeignKeyDuplicateName.New(fk.Name)
		}
	}
	def := t.st.def.clone()
	def.ForeignKeys = append(def.ForeignKeys, fk)
	return t.replace(ctx, def)
}

// DropForeignKey implements sql.ForeignKeyTable.
func (t *Table) DropForeignKey(ctx *sql.Context, name string) error {
	def := t.st.def.clone()
	for i, f := range def.ForeignKeys {
		if strings.EqualFold(f.Name, name) {
			def.ForeignKeys = append(def.ForeignKeys[:i], def.ForeignKeys[i+1:]...)
			return t.replace(ctx, def)
		}
	}
	return sql.ErrForeignKeyNotFound.New(name, t.Name())
}

// UpdateForeignKey implements sql.ForeignKeyTable.
func (t *Table) UpdateForeignKey(ctx *sql.Context, name string, fk sql.ForeignKeyConstraint) error {
	def := t.st.def.clone()
	for i, f := range def.ForeignKeys {
		if strings.EqualFold(f.Name, name) {
			def.ForeignKeys[i] = fk
			return t.replace(ctx, def)
		}
	}
	return sql.ErrForeignKeyNotFound.New(name, t.Name())
}

// Truncate implements sql.TruncateableTable: the table moves to a fresh,
// empty id and the old rows are deleted in the background.
func (t *Table) Truncate(ctx *sql.Context) (int, error) {
	n, _, err := t.RowCount(ctx)
	if err != nil {
		return 0, err
	}
	id, err := t.db.p.catalog.newTableID(commitCtx(ctx))
	if err != nil {
		return 0, err
	}
	def := t.st.def.clone()
	def.ID = id
	for i := range def.Indexes {
		def.Indexes[i].Building = false
	}
	if err := t.replace(ctx, def); err != nil {
		t.db.p.catalog.abandonTableID(id)
		return 0, err
	}
	t.st.counters.autoInc.Store(1)
	return int(n), nil
}

// ModifyStoredCollation implements sql.CollationAlterableTable.
func (t *Table) ModifyStoredCollation(ctx *sql.Context, collation sql.CollationID) error {
	return t.ModifyDefaultCollation(ctx, collation)
}

// ModifyDefaultCollation implements sql.CollationAlterableTable.
func (t *Table) ModifyDefaultCollation(ctx *sql.Context, collation sql.CollationID) error {
	def := t.st.def.clone()
	def.Collation = collation
	return t.replace(ctx, def)
}
