package backend

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"

	"github.com/guocedb/guocedb/internal/codec"
)

// primaryIndexID marks the primary key "index": its entries are the rows.
const primaryIndexID = 0

// Index is a primary or secondary index of a table, as the planner sees it.
type Index struct {
	db, table string
	name      string
	id        uint32 // primaryIndexID for PRIMARY
	unique    bool
	comment   string
	exprs     []sql.Expression
	types     []sql.Type
	prefix    []uint16
	spatial   bool // a SPATIAL index (spatial.go)
	vector    bool // a VECTOR index (vector.go)

	// The implicit primary key suffix of a secondary index (InnoDB's
	// extended key): the primary key columns the index does not name, in
	// declaration order, and where each sits in the stored primary key.
	extExprs []sql.Expression
	extTypes []sql.Type
	extPKPos []int

	// ft and ftConfig are set for a FULLTEXT index (fulltext.go).
	ft       *fulltextDef
	ftConfig string
}

var (
	_ sql.Index         = (*Index)(nil)
	_ sql.OrderedIndex  = (*Index)(nil)
	_ sql.ExtendedIndex = (*Index)(nil)
)

func newIndex(t *tableState, name string, id uint32, unique bool, comment string, ordinals []int, prefix []uint16) *Index {
	ix := &Index{db: t.db, table: t.def.Name, name: name, id: id, unique: unique, comment: comment}
	for i, o := range ordinals {
		c := t.schema[o]
		ix.exprs = append(ix.exprs, expression.NewGetFieldWithTable(o, 0, c.Type, t.db, t.def.Name, c.Name, c.Nullable))
		ix.types = append(ix.types, c.Type)
		p := uint16(0)
		if prefix != nil {
			p = prefix[i]
		}
		ix.prefix = append(ix.prefix, p)
	}
	if id == primaryIndexID {
		return ix
	}
	named := make(map[int]bool, len(ordinals))
	for _, o := range ordinals {
		named[o] = true
	}
	for pos, o := range t.def.PKOrdinals {
		if named[o] {
			continue
		}
		c := t.schema[o]
		ix.extExprs = append(ix.extExprs, expression.NewGetFieldWithTable(o, 0, c.Type, t.db, t.def.Name, c.Name, c.Nullable))
		ix.extTypes = append(ix.extTypes, c.Type)
		ix.extPKPos = append(ix.extPKPos, pos)
	}
	return ix
}

// ExtendedExpressions implements sql.ExtendedIndex.
func (i *Index) ExtendedExpressions() []string {
	out := i.Expressions()
	for _, e := range i.extExprs {
		out = append(out, e.String())
	}
	return out
}

// ExtendedColumnExpressionTypes implements sql.ExtendedIndex.
func (i *Index) ExtendedColumnExpressionTypes() []sql.ColumnExpressionType {
	out := i.ColumnExpressionTypes()
	for _, e := range i.extExprs {
		out = append(out, sql.ColumnExpressionType{Expression: e.String(), Type: e.Type()})
	}
	return out
}

// ID implements sql.Index.
func (i *Index) ID() string { return i.name }

// Database implements sql.Index.
func (i *Index) Database() string { return i.db }

// Table implements sql.Index.
func (i *Index) Table() string { return i.table }

// Expressions implements sql.Index.
func (i *Index) Expressions() []string {
	out := make([]string, len(i.exprs))
	for j, e := range i.exprs {
		out[j] = e.String()
	}
	return out
}

// IsUnique implements sql.Index.
func (i *Index) IsUnique() bool { return i.unique }

// IsSpatial implements sql.Index.
func (i *Index) IsSpatial() bool { return i.spatial }

// IsFullText implements sql.Index.
func (i *Index) IsFullText() bool { return i.ft != nil }

// IsVector implements sql.Index.
func (i *Index) IsVector() bool { return i.vector }

// Comment implements sql.Index.
func (i *Index) Comment() string { return i.comment }

// IndexType implements sql.Index.
func (i *Index) IndexType() string {
	switch {
	case i.ft != nil:
		return "FULLTEXT"
	case i.spatial:
		return "SPATIAL"
	case i.vector:
		return "VECTOR"
	}
	return "BTREE"
}

// IsGenerated implements sql.Index.
func (i *Index) IsGenerated() bool { return false }

// ColumnExpressionTypes implements sql.Index.
func (i *Index) ColumnExpressionTypes() []sql.ColumnExpressionType {
	out := make([]sql.ColumnExpressionType, len(i.exprs))
	for j, e := range i.exprs {
		out[j] = sql.ColumnExpressionType{Expression: e.String(), Type: e.Type()}
	}
	return out
}

// CanSupport implements sql.Index.
func (i *Index) CanSupport(*sql.Context, ...sql.Range) bool { return true }

// CanSupportOrderBy implements sql.Index.
func (i *Index) CanSupportOrderBy(e sql.Expression) bool { return i.vector && vectorOrderBy(e) }

// PrefixLengths implements sql.Index.
func (i *Index) PrefixLengths() []uint16 {
	for _, p := range i.prefix {
		if p > 0 {
			return i.prefix
		}
	}
	return nil
}

// Order implements sql.OrderedIndex: keys are in collation order, except
// for prefix indexes, whose keys only order the prefixes.
func (i *Index) Order() sql.IndexOrder {
	if i.PrefixLengths() != nil || i.ft != nil || i.spatial || i.vector {
		return sql.IndexOrderNone
	}
	return sql.IndexOrderAsc
}

// Reversible implements sql.OrderedIndex.
func (i *Index) Reversible() bool {
	return i.PrefixLengths() == nil && i.ft == nil && !i.spatial && !i.vector
}

func (i *Index) String() string {
	return fmt.Sprintf("%s.%s(%s)", i.table, i.name, strings.Join(i.Expressions(), ","))
}

// keySpan is one contiguous key range of an index scan plus the per-column
// bounds every entry in it must still satisfy (columns after the first
// non-point column are not contiguous in key order).
type keySpan struct {
	start, end []byte
	cols       []colBound
	// ext bounds the implicit primary key columns of an extended lookup;
	// they are checked on the stored primary key (the entry's value).
	ext    []colBound
	extPos []int
	// point marks a span that holds at most one key, start itself: an
	// equality on every column of the primary key, or on every column of
	// a UNIQUE index with no NULL and no prefix column (pointKey). It is
	// read with one Get instead of an iterator (scanIter.nextPoint).
	point bool
}

// colBound bounds one column's encoded value: lo <= v < hi (hi nil:
// unbounded).
type colBound struct{ lo, hi []byte }

func (b colBound) contains(v []byte) bool {
	return bytes.Compare(v, b.lo) >= 0 && (b.hi == nil || bytes.Compare(v, b.hi) < 0)
}

// spans turns a lookup's ranges into key spans under prefix. It returns
// no spans for an empty range.
func (i *Index) spans(prefix []byte, ranges sql.MySQLRangeCollection) ([]keySpan, error) {
	out := make([]keySpan, 0, len(ranges))
	for _, r := range ranges {
		s, ok, err := i.span(prefix, r)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, s)
		}
	}
	return out, nil
}

func (i *Index) span(prefix []byte, r sql.MySQLRange) (keySpan, bool, error) {
	n := min(len(r), len(i.types))
	s := keySpan{cols: make([]colBound, n)}
	for c, ce := range r {
		if c >= len(i.types)+len(i.extTypes) {
			return keySpan{}, false, fmt.Errorf("index %s: lookup on %d columns", i.name, len(r))
		}
		b, ok, err := i.bound(c, ce)
		if err != nil || !ok {
			return keySpan{}, false, err
		}
		if c < len(i.types) {
			s.cols[c] = b
		} else {
			s.ext = append(s.ext, b)
			s.extPos = append(s.extPos, i.extPKPos[c-len(i.types)])
		}
	}
	start := append([]byte(nil), prefix...)
	fixed := true
	var end []byte
	for c := range s.cols {
		b := s.cols[c]
		if isPoint(b) {
			start = append(start, b.lo...)
			continue
		}
		fixed = false
		if b.hi != nil {
			end = append(append([]byte(nil), start...), b.hi...)
		} else {
			end = prefixEnd(start)
		}
		start = append(start, b.lo...)
		break
	}
	if fixed {
		end = prefixEnd(start)
		s.point = i.pointKey(s, len(r))
	}
	s.start, s.end = start, end
	if end != nil && bytes.Compare(start, end) >= 0 {
		return keySpan{}, false, nil
	}
	return s, true, nil
}

// pointKey reports whether a span whose columns are all points names one
// stored key exactly. Only the primary key and UNIQUE indexes qualify, with
// every column bound (not a leading subset, not the extended primary key
// suffix). A unique entry with a NULL has the primary key appended
// (tableState.indexKey), so an equality on NULL (<=>) is a scan; a prefix
// column's key is a truncated value, left to the scan as well.
func (i *Index) pointKey(s keySpan, cols int) bool {
	if cols != len(i.types) || len(s.ext) > 0 || len(s.cols) != len(i.types) {
		return false
	}
	if i.id == primaryIndexID {
		return true
	}
	if !i.unique || i.spatial || i.vector || i.ft != nil {
		return false
	}
	for c, b := range s.cols {
		if i.prefix[c] > 0 {
			return false
		}
		if null, err := i.encode(c, nil); err != nil || bytes.Equal(b.lo, null) {
			return false
		}
	}
	return true
}

// isPoint reports whether a bound admits exactly one encoded value, which
// is then a fixed prefix for the following columns.
func isPoint(b colBound) bool {
	return b.hi != nil && len(b.lo) > 0 && bytes.Equal(prefixEnd(b.lo), b.hi) && keyLen(b.lo) == len(b.lo)
}

func keyLen(b []byte) int {
	n, err := codec.SkipKey(b)
	if err != nil {
		return -1
	}
	return n
}

// encode encodes v for column c of the (extended) index.
func (i *Index) encode(c int, v any) ([]byte, error) {
	if c >= len(i.types) {
		return codec.AppendKey(nil, i.extTypes[c-len(i.types)], v, 0)
	}
	return codec.AppendKey(nil, i.types[c], v, i.prefix[c])
}

// colType is the type of column c of the (extended) index.
func (i *Index) colType(c int) sql.Type {
	if c >= len(i.types) {
		return i.extTypes[c-len(i.types)]
	}
	return i.types[c]
}

// bound converts a range column to encoded bounds. For prefix columns the
// bound is widened to whole prefixes; the planner re-checks such lookups.
func (i *Index) bound(c int, ce sql.MySQLRangeColumnExpr) (colBound, bool, error) {
	var b colBound
	null, err := i.encode(c, nil)
	if err != nil {
		return b, false, err
	}
	prefixCol := c < len(i.prefix) && i.prefix[c] > 0
	lower, upper := ce.LowerBound, ce.UpperBound
	// Keys an integer column cannot hold become open ends or empty ranges;
	// fractional keys become "below ceil(k)" cuts.
	normalize := func(cut sql.MySQLRangeCut, isLower bool) (sql.MySQLRangeCut, bool) {
		var key any
		switch k := cut.(type) {
		case sql.Below:
			key = k.Key
		case sql.Above:
			key = k.Key
		default:
			return cut, true
		}
		v, pos, frac, ok := integerBound(i.colType(c), key)
		if !ok {
			return cut, true
		}
		switch {
		case pos == aboveDomain && isLower, pos == belowDomain && !isLower:
			return nil, false // empty
		case pos == aboveDomain:
			return sql.AboveAll{}, true
		case pos == belowDomain:
			return sql.AboveNull{}, true
		case frac:
			return sql.Below{Key: v}, true
		}
		if _, isAbove := cut.(sql.Above); isAbove {
			return sql.Above{Key: v}, true
		}
		return sql.Below{Key: v}, true
	}
	if nilCut(lower) || nilCut(upper) {
		return b, false, nil // a comparison with NULL matches no row
	}
	var ok bool
	if lower, ok = normalize(lower, true); !ok {
		return b, false, nil
	}
	if upper, ok = normalize(upper, false); !ok {
		return b, false, nil
	}
	switch lb := lower.(type) {
	case sql.BelowNull:
		b.lo = []byte{}
	case sql.AboveNull:
		b.lo = prefixEnd(null)
	case sql.Below:
		if b.lo, err = i.encode(c, lb.Key); err != nil {
			return b, false, err
		}
	case sql.Above:
		k, err := i.encode(c, lb.Key)
		if err != nil {
			return b, false, err
		}
		if prefixCol {
			b.lo = k
		} else {
			b.lo = prefixEnd(k)
		}
	case sql.AboveAll:
		return b, false, nil
	default:
		return b, false, fmt.Errorf("unsupported range bound %T", lb)
	}
	switch ub := upper.(type) {
	case sql.AboveAll:
		b.hi = nil
	case sql.AboveNull:
		b.hi = prefixEnd(null)
	case sql.BelowNull:
		return b, false, nil
	case sql.Below:
		k, err := i.encode(c, ub.Key)
		if err != nil {
			return b, false, err
		}
		if prefixCol {
			b.hi = prefixEnd(k)
		} else {
			b.hi = k
		}
	case sql.Above:
		k, err := i.encode(c, ub.Key)
		if err != nil {
			return b, false, err
		}
		b.hi = prefixEnd(k)
	default:
		return b, false, fmt.Errorf("unsupported range bound %T", ub)
	}
	if b.hi != nil && bytes.Compare(b.lo, b.hi) >= 0 {
		return b, false, nil
	}
	return b, true, nil
}

// nilCut reports a cut at a NULL key: what a lookup join builds when the
// outer row's key is NULL and the comparison is = (not <=>).
func nilCut(cut sql.MySQLRangeCut) bool {
	switch k := cut.(type) {
	case sql.Below:
		return k.Key == nil
	case sql.Above:
		return k.Key == nil
	}
	return false
}

// matchesPK checks an extended lookup's primary key bounds against a
// stored primary key.
func (s *keySpan) matchesPK(pk []byte) (bool, error) {
	if len(s.ext) == 0 {
		return true, nil
	}
	var cols [][]byte
	for len(pk) > 0 {
		n, err := codec.SkipKey(pk)
		if err != nil {
			return false, err
		}
		cols = append(cols, pk[:n])
		pk = pk[n:]
	}
	for j, b := range s.ext {
		if s.extPos[j] >= len(cols) || !b.contains(cols[s.extPos[j]]) {
			return false, nil
		}
	}
	return true, nil
}

// matches checks the columns of an index key (after the index prefix)
// against the span's per-column bounds.
func (s *keySpan) matches(key []byte) (bool, error) {
	for _, b := range s.cols {
		n, err := codec.SkipKey(key)
		if err != nil {
			return false, err
		}
		if !b.contains(key[:n]) {
			return false, nil
		}
		key = key[n:]
	}
	return true, nil
}
