package backend

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/guocedb/guocedb/internal/codec"
	"github.com/guocedb/guocedb/internal/storage"
)

// CreateIndex implements sql.IndexAlterableTable. The index is written
// while hidden from the planner (Building), then published.
func (t *Table) CreateIndex(ctx *sql.Context, idx sql.IndexDef) error {
	if idx.IsSpatial() || idx.IsVector() {
		return t.createEntrylessIndex(ctx, idx)
	}
	if idx.IsFullText() {
		return sql.ErrUnsupportedFeature.New("FULLTEXT indexes")
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
	if err := t.replace(ctx, def); err != nil {
		return err
	}
	if err := t.fillIndex(ctx, name); err != nil {
		// The engine matches the error kind (duplicate unique key), so it is
		// returned unwrapped unless removing the index fails too.
		if derr := t.dropIndex(ctx, name); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	return nil
}

// ShouldBuildIndex implements sql.IndexBuildingTable: CreateIndex has
// already filled the index.
func (t *Table) ShouldBuildIndex(*sql.Context, sql.IndexDef) (bool, error) { return false, nil }

// BuildIndex implements sql.IndexBuildingTable. CreateIndex fills indexes
// from the stored rows (rows alone do not identify stored rows of keyless
// tables), so the inserter the engine feeds has nothing left to do.
func (t *Table) BuildIndex(_ *sql.Context, idx sql.IndexDef) (sql.RowInserter, error) {
	if _, ok := t.st.def.index(idx.Name); !ok {
		return nil, sql.ErrIndexNotFound.New(idx.Name)
	}
	return noopInserter{}, nil
}

type noopInserter struct{}

func (noopInserter) StatementBegin(*sql.Context)              {}
func (noopInserter) DiscardChanges(*sql.Context, error) error { return nil }
func (noopInserter) StatementComplete(*sql.Context) error     { return nil }
func (noopInserter) Insert(*sql.Context, sql.Row) error       { return nil }
func (noopInserter) Close(*sql.Context) error                 { return nil }

// fillIndex writes the entries of a Building index for every stored row,
// in bounded batches, then publishes the index.
func (t *Table) fillIndex(ctx *sql.Context, name string) error {
	i, ok := t.st.def.index(name)
	if !ok {
		return sql.ErrIndexNotFound.New(name)
	}
	st := t.st
	var ix *indexState
	for _, x := range st.indexes {
		if x.def.ID == st.def.Indexes[i].ID {
			ix = x
		}
	}
	read := t.store().Begin()
	defer read.Discard()
	p := rowPrefix(st.def.ID)
	it, err := read.NewIterator(storage.IterOptions{Start: p, End: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	w := t.store().Begin()
	defer func() { w.Discard() }()
	prog := t.startProgress(ctx)
	defer prog.finish()
	size := 0
	var done int64
	for ; it.Valid(); it.Next() {
		done++
		row, err := codec.DecodeRow(it.Value(), st.schema)
		if err != nil {
			return err
		}
		pk := it.Key()[len(p):]
		k, unique, err := st.indexKey(ix, row, pk)
		if err != nil {
			return err
		}
		if unique {
			if _, dup, err := w.Get(k); err != nil {
				return err
			} else if dup {
				return sql.ErrUniqueKeyViolation.New()
			}
		}
		if err := w.Set(k, append([]byte(nil), pk...)); err != nil {
			return err
		}
		if size += len(k) + len(pk); size >= rewriteBatchBytes {
			if err := w.Commit(commitCtx(ctx)); err != nil {
				return err
			}
			w, size = t.store().Begin(), 0
			prog.update(done)
		} else if done%progressRows == 0 {
			prog.update(done)
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	if err := w.Commit(commitCtx(ctx)); err != nil {
		return err
	}
	def := st.def.clone()
	def.Indexes[i].Building = false
	return t.replace(ctx, def)
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
	ft := def.Indexes[i].Fulltext != nil
	def.Indexes = append(def.Indexes[:i], def.Indexes[i+1:]...)
	if ft {
		return t.dropFulltextIndex(ctx, def)
	}
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
		if check.Name != "" && strings.EqualFold(c.Name, check.Name) {
			return fmt.Errorf("duplicate check constraint name %q", check.Name)
		}
	}
	def := t.st.def.clone()
	c := *check
	if c.Name == "" {
		c.Name = checkName(def)
	}
	def.Checks = append(def.Checks, c)
	return t.replace(ctx, def)
}

// checkName names an unnamed CHECK constraint as MySQL does:
// <table>_chk_<n>, the first n not taken. Errors name the constraint.
func checkName(def *tableDef) string {
	for n := 1; ; n++ {
		name := fmt.Sprintf("%s_chk_%d", def.Name, n)
		taken := false
		for _, c := range def.Checks {
			taken = taken || strings.EqualFold(c.Name, name)
		}
		if !taken {
			return name
		}
	}
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
	return t.CreateIndex(ctx, idx)
}

// GetDeclaredForeignKeys implements sql.ForeignKeyTable.
func (t *Table) GetDeclaredForeignKeys(*sql.Context) ([]sql.ForeignKeyConstraint, error) {
	out := append([]sql.ForeignKeyConstraint(nil), t.st.def.ForeignKeys...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
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
	// Foreign key names are unique within a database, as in MySQL.
	for _, other := range t.db.p.catalog.tables(t.st.db) {
		for _, f := range other.def.ForeignKeys {
			if strings.EqualFold(f.Name, fk.Name) {
				return sql.ErrForeignKeyDuplicateName.New(fk.Name)
			}
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
// empty id and the old rows are deleted in the background. A DELETE
// without WHERE that go-mysql-server turned into a TRUNCATE stays a
// transactional delete (truncate.go).
func (t *Table) Truncate(ctx *sql.Context) (int, error) {
	if isDeleteStatement(ctx.Query()) {
		return t.deleteAllRows(ctx) // see truncate.go
	}
	n, err := t.countRows(ctx)
	if err != nil {
		return 0, err
	}
	id, err := t.db.p.catalog.newTableID(commitCtx(ctx))
	if err != nil {
		return 0, err
	}
	// The new id is empty: its row count is exact from the start.
	if err := t.store().DirectCommit(commitCtx(ctx), &storage.WriteSet{Mutations: []storage.Mutation{countBaseMutation(id)}}); err != nil {
		t.db.p.catalog.abandonTableID(id)
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

// countRows counts the rows of the statement's snapshot exactly.
func (t *Table) countRows(ctx *sql.Context) (int64, error) {
	tx, err := transaction(ctx, t.store())
	if err != nil {
		return 0, err
	}
	return countKeys(tx.txn, rowPrefix(t.st.def.ID), nil)
}
