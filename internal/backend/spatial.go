package backend

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/guocedb/guocedb/internal/storage"
)

// SPATIAL indexes.
//
// go-mysql-server plans a spatial predicate (ST_Intersects, ST_Within,
// ...) on a column with a SPATIAL index as a lookup of one range whose
// bounds are the corners of the predicate's bounding box, and keeps the
// predicate as a filter above the lookup: the lookup may return more rows
// than match, never fewer. guocedb keeps no entries for such an index: a
// lookup scans the table and returns the rows whose geometry's bounding
// box meets the range's, as go-mysql-server's memory engine does. So the
// index costs writes nothing and gives the planner MySQL's plans, but no
// speed-up over a scan (an R-tree or a space-filling curve over the
// bounding boxes would; see DESIGN.md).

// createEntrylessIndex adds a SPATIAL or VECTOR index. go-mysql-server has
// already checked a SPATIAL one (one NOT NULL geometry column).
func (t *Table) createEntrylessIndex(ctx *sql.Context, idx sql.IndexDef) error {
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
	if len(idx.Columns) != 1 {
		return sql.ErrTooManyKeyParts.New(1)
	}
	o := t.st.schema.IndexOfColName(idx.Columns[0].Name)
	if o < 0 {
		return sql.ErrKeyColumnDoesNotExist.New(idx.Columns[0].Name)
	}
	if _, ok := t.st.schema[o].Type.(sql.SpatialColumnType); idx.IsSpatial() && !ok {
		return sql.ErrBadSpatialIdxCol.New()
	}
	def.NextIndexID++
	def.Indexes = append(def.Indexes, indexDef{
		ID:      def.NextIndexID,
		Name:    name,
		Columns: idx.Columns,
		Comment: idx.Comment,
		Spatial: idx.IsSpatial(),
		Vector:  idx.IsVector(),
	})
	return t.replace(ctx, def)
}

// entrylessPlanIndexes are the SPATIAL and VECTOR indexes as the planner
// sees them.
func (t *tableState) entrylessPlanIndexes() []sql.Index {
	var out []sql.Index
	for _, ix := range t.entryless {
		i := newIndex(t, ix.def.Name, ix.def.ID, false, ix.def.Comment, ix.ordinals, nil)
		i.spatial, i.vector = ix.def.Spatial, ix.def.Vector
		i.extExprs, i.extTypes, i.extPKPos = nil, nil, nil
		out = append(out, i)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out
}

// spatialIter returns the rows whose geometry's bounding box meets the
// lookup's (see the top of this file), ordered by the geometry as
// go-mysql-server compares it (its serialized bytes), descending when the
// lookup is reversed: the engine drops an ORDER BY on the column above an
// index lookup, trusting the index to return that order.
func (t *Table) spatialIter(txn *storage.Txn, view *storage.Savepoint, ix *Index, ranges sql.MySQLRangeCollection, reverse bool) (sql.RowIter, error) {
	if len(ranges) != 1 || len(ranges[0]) != 1 {
		return nil, fmt.Errorf("spatial index %s: lookup of %d ranges, want one", ix.name, len(ranges))
	}
	lo, okLo := sql.GetMySQLRangeCutKey(ranges[0][0].LowerBound).(types.Point)
	hi, okHi := sql.GetMySQLRangeCutKey(ranges[0][0].UpperBound).(types.Point)
	if !okLo || !okHi {
		return nil, sql.ErrInvalidGISData.New()
	}
	col := t.st.schema.IndexOfColName(ix.exprColumn())
	if col < 0 {
		return nil, fmt.Errorf("spatial index %s: column not found", ix.name)
	}
	p := rowPrefix(t.st.def.ID)
	it, err := newScanIter(txn, view, t.st, []keySpan{{start: p, end: prefixEnd(p)}}, false, false)
	if err != nil {
		return nil, err
	}
	defer it.Close(nil)
	type match struct {
		row sql.Row
		key []byte // serialized geometry
	}
	var matches []match
	ctx := sql.NewEmptyContext()
	for {
		row, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		g, ok := row[col].(types.GeometryValue)
		if !ok {
			continue // NULL: the column is NOT NULL, but an old row may be
		}
		minX, minY, maxX, maxY := g.BBox()
		if minX <= hi.X && lo.X <= maxX && minY <= hi.Y && lo.Y <= maxY {
			matches = append(matches, match{row: row, key: g.Serialize()})
		}
	}
	sort.SliceStable(matches, func(i, j int) bool {
		c := bytes.Compare(matches[i].key, matches[j].key)
		if reverse {
			return c > 0
		}
		return c < 0
	})
	rows := make([]sql.Row, len(matches))
	for i, m := range matches {
		rows[i] = m.row
		if t.proj != nil {
			rows[i] = t.proj.apply(m.row)
		}
	}
	return sql.RowsToRowIter(rows...), nil
}

// exprColumn is the column name of a single-column index.
func (i *Index) exprColumn() string {
	if len(i.exprs) != 1 {
		return ""
	}
	s := i.exprs[0].String()
	if dot := strings.LastIndexByte(s, '.'); dot >= 0 {
		s = s[dot+1:]
	}
	return strings.Trim(s, "`")
}
