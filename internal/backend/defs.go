package backend

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
)

// databaseDef is the persisted form of a database.
type databaseDef struct {
	Name      string          `json:"name"`
	Collation sql.CollationID `json:"collation"`
}

// columnDef is the persisted form of a sql.Column. Types are stored as
// Type.String() and expressions as SQL text, both parsed back with the
// planbuilder, so the format does not depend on Go struct layouts.
type columnDef struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Collation is kept apart because Type.String() omits the default
	// collation, which the parser would then leave unresolved.
	Collation sql.CollationID `json:"collation,omitempty"`
	// SRID is a spatial column's declared SRID, which Type.String() omits
	// too: without it inserts are not checked against the SRID and
	// information_schema loses it.
	SRID     *uint32 `json:"srid,omitempty"`
	Nullable bool    `json:"nullable,omitempty"`
	Default  *string `json:"default,omitempty"`
	// DefaultLiteral and DefaultParens keep how the default was written:
	// SHOW CREATE TABLE and information_schema tell `5` from `(5)`.
	DefaultLiteral bool    `json:"default_literal,omitempty"`
	DefaultParens  bool    `json:"default_parens,omitempty"`
	Generated      *string `json:"generated,omitempty"`
	OnUpdate       *string `json:"on_update,omitempty"`
	Virtual        bool    `json:"virtual,omitempty"`
	AutoIncrement  bool    `json:"auto_increment,omitempty"`
	Comment        string  `json:"comment,omitempty"`
	Extra          string  `json:"extra,omitempty"`
	// FloatScale is FLOAT(M,D)'s D, which the type omits (floatscale.go).
	FloatScale *uint8 `json:"float_scale,omitempty"`
}

// indexDef is the persisted form of a secondary index.
type indexDef struct {
	ID      uint32            `json:"id"`
	Name    string            `json:"name"`
	Columns []sql.IndexColumn `json:"columns"`
	Unique  bool              `json:"unique,omitempty"`
	Comment string            `json:"comment,omitempty"`
	// Spatial and Vector mark SPATIAL and VECTOR indexes: they have no
	// entries (spatial.go, vector.go).
	Spatial bool `json:"spatial,omitempty"`
	Vector  bool `json:"vector,omitempty"`
	// Building marks an index whose entries are still being written: the
	// editors maintain it, but the planner does not see it yet.
	Building bool `json:"building,omitempty"`
	// Fulltext is set for a FULLTEXT index, which has no key range of its
	// own: its entries live in pseudo-tables (fulltext.go).
	Fulltext *fulltextDef `json:"fulltext,omitempty"`
}

// tableDef is the persisted form of a table. ID names the key range that
// holds its rows; a table rewrite (ALTER, TRUNCATE) moves it to a new ID.
type tableDef struct {
	ID          uint64                     `json:"id"`
	Name        string                     `json:"name"`
	Columns     []columnDef                `json:"columns"`
	PKOrdinals  []int                      `json:"pk_ordinals"`
	Indexes     []indexDef                 `json:"indexes,omitempty"`
	NextIndexID uint32                     `json:"next_index_id"`
	Checks      []sql.CheckDefinition      `json:"checks,omitempty"`
	ForeignKeys []sql.ForeignKeyConstraint `json:"foreign_keys,omitempty"`
	Collation   sql.CollationID            `json:"collation"`
	Comment     string                     `json:"comment,omitempty"`
	// FulltextConfig names the config pseudo-table shared by the table's
	// FULLTEXT indexes (fulltext.go); empty before the first one.
	FulltextConfig string `json:"fulltext_config,omitempty"`
	// DataSince is the first read timestamp that sees all the rows of ID
	// when a rewrite filled ID in transactions of its own (not persisted:
	// after a restart every reader is newer). See Table.readTxn.
	DataSince uint64 `json:"-"`
}

func exprText(d *sql.ColumnDefaultValue) *string {
	if d == nil {
		return nil
	}
	s := d.String()
	return &s
}

func columnDefs(sch sql.Schema) []columnDef {
	out := make([]columnDef, len(sch))
	for i, c := range sch {
		var coll sql.CollationID
		if tc, ok := c.Type.(sql.TypeWithCollation); ok {
			coll = tc.Collation()
		}
		var srid *uint32
		if sc, ok := c.Type.(sql.SpatialColumnType); ok {
			if v, defined := sc.GetSpatialTypeSRID(); defined {
				srid = &v
			}
		}
		var lit, parens bool
		if c.Default != nil {
			lit, parens = c.Default.Literal, c.Default.Parenthesized
		}
		out[i] = columnDef{
			DefaultLiteral: lit,
			DefaultParens:  parens,
			Collation:      coll,
			SRID:           srid,
			Name:           c.Name,
			Type:           c.Type.String(),
			Nullable:       c.Nullable,
			Default:        exprText(c.Default),
			Generated:      exprText(c.Generated),
			OnUpdate:       exprText(c.OnUpdate),
			Virtual:        c.Virtual,
			AutoIncrement:  c.AutoIncrement,
			Comment:        c.Comment,
			Extra:          columnExtra(c),
		}
	}
	return out
}

// columnExtra drops an "auto_increment" left in Extra by a column that no
// longer is one (ALTER TABLE ... MODIFY without AUTO_INCREMENT).
func columnExtra(c *sql.Column) string {
	if !c.AutoIncrement && strings.EqualFold(strings.TrimSpace(c.Extra), "auto_increment") {
		return ""
	}
	return c.Extra
}

func unresolvedDefault(c columnDef) *sql.ColumnDefaultValue {
	d := unresolved(c.Default)
	if d != nil {
		d.Literal, d.Parenthesized = c.DefaultLiteral, c.DefaultParens
	}
	return d
}

func unresolved(s *string) *sql.ColumnDefaultValue {
	if s == nil {
		return nil
	}
	return sql.NewUnresolvedColumnDefaultValue(*s)
}

// schema rebuilds the table's sql.Schema from its definition.
func (d *tableDef) schema(db string) (sql.Schema, error) {
	sch := make(sql.Schema, len(d.Columns))
	for i, c := range d.Columns {
		typ, err := planbuilder.ParseColumnTypeString(c.Type)
		if err != nil {
			return nil, fmt.Errorf("table %s column %s: parse type %q: %w", d.Name, c.Name, c.Type, err)
		}
		if tc, ok := typ.(sql.TypeWithCollation); ok && c.Collation != 0 {
			if typ, err = tc.WithNewCollation(c.Collation); err != nil {
				return nil, fmt.Errorf("table %s column %s: collation %d: %w", d.Name, c.Name, c.Collation, err)
			}
		}
		if sc, ok := typ.(sql.SpatialColumnType); ok && c.SRID != nil {
			typ = sc.SetSRID(*c.SRID)
		}
		sch[i] = &sql.Column{
			Name:           c.Name,
			Type:           typ,
			Nullable:       c.Nullable,
			Default:        unresolvedDefault(c),
			Generated:      unresolved(c.Generated),
			OnUpdate:       unresolved(c.OnUpdate),
			Virtual:        c.Virtual,
			AutoIncrement:  c.AutoIncrement,
			Comment:        c.Comment,
			Extra:          c.Extra,
			Source:         d.Name,
			DatabaseSource: db,
		}
	}
	for _, o := range d.PKOrdinals {
		if o < 0 || o >= len(sch) {
			return nil, fmt.Errorf("table %s: primary key ordinal %d out of range", d.Name, o)
		}
		sch[o].PrimaryKey = true
		sch[o].Nullable = false // primary key columns are NOT NULL
	}
	return sch, nil
}

func (d *tableDef) index(name string) (int, bool) {
	for i := range d.Indexes {
		if strings.EqualFold(d.Indexes[i].Name, name) {
			return i, true
		}
	}
	return -1, false
}

// clone returns a deep enough copy for copy-on-write changes.
func (d *tableDef) clone() *tableDef {
	c := *d
	c.Columns = append([]columnDef(nil), d.Columns...)
	c.PKOrdinals = append([]int(nil), d.PKOrdinals...)
	c.Indexes = append([]indexDef(nil), d.Indexes...)
	c.Checks = append([]sql.CheckDefinition(nil), d.Checks...)
	c.ForeignKeys = append([]sql.ForeignKeyConstraint(nil), d.ForeignKeys...)
	return &c
}
