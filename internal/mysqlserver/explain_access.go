package mysqlserver

import (
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
)

// tableScan adds a full read of table (shown as name) to blk.
func (e *explainer) tableScan(rt *plan.ResolvedTable, name string, blk *explainBlock) error {
	if plan.IsDualTable(rt.Table) {
		return nil // SELECT without FROM: "No tables used"
	}
	n, err := e.rowCount(rt.UnderlyingTable())
	if err != nil {
		return err
	}
	blk.rows = append(blk.rows, &explainRow{table: name, accessType: "ALL", rows: &n, src: rt.UnderlyingTable()})
	return nil
}

// rowCount is the table's row estimate (0 when it keeps none).
func (e *explainer) rowCount(t sql.Table) (uint64, error) {
	st, ok := t.(sql.StatisticsTable)
	if !ok {
		return 0, nil
	}
	n, _, err := st.RowCount(e.ctx)
	return n, err
}

// indexedAccess adds an index read to blk: a lookup whose ranges are known
// at planning time (const, ref, range, or a whole-index scan), or one keyed
// by the rows of the tables before it in a join (eq_ref, ref).
func (e *explainer) indexedAccess(ita *plan.IndexedTableAccess, blk *explainBlock) error {
	idx := ita.Index()
	total, err := e.rowCount(ita.UnderlyingTable())
	if err != nil {
		return err
	}
	r := &explainRow{table: ita.Name(), key: idx.ID(), possible: []string{idx.ID()}, src: ita.UnderlyingTable()}
	blk.rows = append(blk.rows, r)
	var used int
	var rows uint64
	switch {
	case idx.IsFullText():
		// MySQL gives a FULLTEXT key no length.
		r.accessType, r.ref, r.keyLen, rows = "fulltext", "const", "0", 1
		r.rows = &rows
		return nil
	case !ita.IsStatic():
		keys := ita.Expressions()
		used = len(keys)
		refs := make([]string, len(keys))
		for i, k := range keys {
			refs[i] = refName(k)
		}
		r.ref = strings.Join(refs, ",")
		if ita.IsStrictLookup() {
			r.accessType, rows = "eq_ref", 1
		} else {
			r.accessType, rows = "ref", e.perValue(idx, used, total)
		}
	default:
		lookup, err := ita.GetLookup(e.ctx, nil)
		if err != nil {
			return err
		}
		var points bool
		r.accessType, used, points = lookupKind(e.ctx, lookup)
		n := uint64(lookup.Ranges.Len())
		switch r.accessType {
		case "index":
			rows = total
		case "const":
			rows = 1
		case "ref":
			rows = n * e.perValue(idx, used, total)
		default: // range
			if points && idx.IsUnique() && used == len(idx.Expressions()) {
				rows = n
			} else {
				rows = max(1, min(total, total/3))
			}
		}
		if r.accessType == "const" || r.accessType == "ref" {
			refs := make([]string, used)
			for i := range refs {
				refs[i] = "const"
			}
			r.ref = strings.Join(refs, ",")
		}
	}
	r.rows = &rows
	r.keyLen = keyLength(ita.UnderlyingTable().Schema(), idx, used)
	return nil
}

// lookupKind classifies a lookup known at planning time: "index" when it
// reads the whole index, "const" for one equality on every column of a
// unique index, "ref" for one equality on a prefix of the columns, else
// "range". used is how many leading index columns the lookup constrains;
// points reports whether every range is an equality on them.
func lookupKind(ctx *sql.Context, lookup sql.IndexLookup) (kind string, used int, points bool) {
	ranges, ok := lookup.Ranges.(sql.MySQLRangeCollection)
	if !ok || len(ranges) == 0 {
		return "range", 0, false
	}
	points = true
	for _, rg := range ranges {
		n := 0
		for _, c := range rg {
			if c.Type() == sql.RangeType_All {
				break
			}
			n++
		}
		used = max(used, n)
		for _, c := range rg[:n] {
			if !isPointRange(ctx, c) {
				points = false
			}
		}
	}
	switch {
	case used == 0:
		return "index", len(lookup.Index.Expressions()), false
	case !points || len(ranges) > 1:
		return "range", used, points
	case lookup.Index.IsUnique() && used == len(lookup.Index.Expressions()):
		return "const", used, true
	default:
		return "ref", used, true
	}
}

// isPointRange reports whether c is `col = value` (or `col IS NULL`).
func isPointRange(ctx *sql.Context, c sql.MySQLRangeColumnExpr) bool {
	if c.Type() == sql.RangeType_EqualNull {
		return true
	}
	if c.Type() != sql.RangeType_ClosedClosed {
		return false
	}
	cmp, err := c.Typ.Compare(ctx, sql.GetMySQLRangeCutKey(c.LowerBound), sql.GetMySQLRangeCutKey(c.UpperBound))
	return err == nil && cmp == 0
}

// perValue estimates how many rows share one value of the first used
// columns of idx: from ANALYZE TABLE's statistics when there are some,
// else a tenth of the table (MySQL's guess without statistics).
func (e *explainer) perValue(idx sql.Index, used int, total uint64) uint64 {
	if e.stats != nil {
		q := sql.NewStatQualifier(idx.Database(), "", idx.Table(), idx.ID())
		cols := make([]string, 0, used)
		for _, x := range idx.Expressions()[:min(used, len(idx.Expressions()))] {
			cols = append(cols, strings.ToLower(x[strings.LastIndexByte(x, '.')+1:]))
		}
		if st, ok := e.stats.GetStats(e.ctx, q, cols); ok && st.DistinctCount() > 0 {
			return max(1, st.RowCount()/st.DistinctCount())
		}
	}
	return max(1, total/10)
}

// refName is how MySQL's `ref` column names a lookup key: db.table.column
// for a column of an earlier table, const for a constant, func otherwise.
func refName(x sql.Expression) string {
	switch x := x.(type) {
	case *expression.GetField:
		if x.Database() != "" {
			return x.Database() + "." + x.Table() + "." + x.Name()
		}
		return x.Table() + "." + x.Name()
	case *expression.Literal, *expression.BindVar:
		return "const"
	}
	return "func"
}

// keyLength is MySQL's key_len: the bytes of the first used columns of
// idx as InnoDB stores them in a key (one more for a nullable column, two
// more for a variable length).
func keyLength(sch sql.Schema, idx sql.Index, used int) string {
	exprs := idx.Expressions()
	prefixes := idx.PrefixLengths()
	total := 0
	for i := 0; i < used && i < len(exprs); i++ {
		name := exprs[i][strings.LastIndexByte(exprs[i], '.')+1:]
		col := sch.IndexOfColName(name)
		if col < 0 {
			return ""
		}
		c := sch[col]
		var prefix int
		if i < len(prefixes) {
			prefix = int(prefixes[i])
		}
		n, ok := columnKeyBytes(c.Type, prefix)
		if !ok {
			return ""
		}
		if c.Nullable {
			n++
		}
		total += n
	}
	if total == 0 {
		return ""
	}
	return strconv.Itoa(total)
}

// columnKeyBytes is the key bytes of one column of type t, cut to prefix
// characters when prefix > 0.
func columnKeyBytes(t sql.Type, prefix int) (int, bool) {
	switch t.Type() {
	case sqltypes.Int8, sqltypes.Uint8, sqltypes.Year:
		return 1, true
	case sqltypes.Int16, sqltypes.Uint16:
		return 2, true
	case sqltypes.Int24, sqltypes.Uint24, sqltypes.Date:
		return 3, true
	case sqltypes.Int32, sqltypes.Uint32, sqltypes.Float32:
		return 4, true
	case sqltypes.Int64, sqltypes.Uint64, sqltypes.Float64:
		return 8, true
	case sqltypes.Datetime:
		return 5 + fracBytes(t), true
	case sqltypes.Timestamp:
		return 4 + fracBytes(t), true
	case sqltypes.Time:
		return 3 + fracBytes(t), true
	case sqltypes.Decimal:
		if d, ok := t.(sql.DecimalType); ok {
			return decimalBytes(int(d.Precision())-int(d.Scale())) + decimalBytes(int(d.Scale())), true
		}
	case sqltypes.Enum:
		if e, ok := t.(sql.EnumType); ok && e.NumberOfElements() > 255 {
			return 2, true
		}
		return 1, true
	case sqltypes.Set:
		if s, ok := t.(sql.SetType); ok {
			return setBytes(int(s.NumberOfElements())), true
		}
	case sqltypes.Bit:
		if b, ok := t.(types.BitType); ok {
			return (int(b.NumberOfBits()) + 7) / 8, true
		}
	}
	st, ok := t.(sql.StringType)
	if !ok {
		return 0, false
	}
	perChar := int(st.CharacterSet().MaxLength())
	chars := int(st.MaxCharacterLength())
	if prefix > 0 && prefix < chars {
		chars = prefix
	}
	n := chars * perChar
	switch t.Type() {
	case sqltypes.Char, sqltypes.Binary:
		return n, true
	}
	return n + 2, true
}

// fracBytes is the storage of a temporal type's fractional seconds.
func fracBytes(t sql.Type) int {
	if p, ok := t.(sql.DatetimeType); ok {
		return (p.Precision() + 1) / 2
	}
	return 0
}

// decimalBytes is MySQL's packed size of n decimal digits: 4 bytes per 9,
// and 1 to 4 for the rest.
func decimalBytes(n int) int {
	rest := [...]int{0, 1, 1, 2, 2, 3, 3, 4, 4}
	return n/9*4 + rest[n%9]
}

// setBytes is the size of a SET of n members.
func setBytes(n int) int {
	b := (n + 7) / 8
	if b > 4 {
		return 8
	}
	return b
}
