package backend

import (
	"strconv"
	"strings"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// go-mysql-server v0.20.0 parses FLOAT(M,D) and DOUBLE(M,D) into plain
// FLOAT and DOUBLE: the declared scale D is lost, and with it the column
// metadata MySQL sends (decimals D instead of 31, "not fixed"), from which
// drivers report the column's scale. The catalog keeps D per column,
// read from the CREATE TABLE text, for the wire handler (FloatScale).

// declaredFloatScales returns the declared scale of the FLOAT, DOUBLE and
// REAL columns of a CREATE TABLE statement, by lower-cased column name;
// nil for any other statement or text that does not parse.
func declaredFloatScales(query string) map[string]uint8 {
	if !strings.Contains(query, ",") {
		return nil // FLOAT(M,D) has a comma
	}
	stmt, err := ast.Parse(stripExecutableComments(query))
	if err != nil {
		return nil
	}
	ddl, ok := stmt.(*ast.DDL)
	if !ok || ddl.TableSpec == nil {
		return nil
	}
	var out map[string]uint8
	for _, col := range ddl.TableSpec.Columns {
		switch strings.ToLower(col.Type.Type) {
		case "float", "double", "real", "double precision":
		default:
			continue
		}
		if col.Type.Scale == nil {
			continue
		}
		d, err := strconv.ParseUint(string(col.Type.Scale.Val), 10, 8)
		if err != nil || d > 30 {
			continue
		}
		if out == nil {
			out = make(map[string]uint8)
		}
		out[strings.ToLower(col.Name.String())] = uint8(d)
	}
	return out
}

// setFloatScales records scales (declaredFloatScales) in cols.
func setFloatScales(cols []columnDef, scales map[string]uint8) {
	for i := range cols {
		if d, ok := scales[strings.ToLower(cols[i].Name)]; ok {
			cols[i].FloatScale = &d
		}
	}
}

// keepFloatScales carries the scales of old over to the columns of cols
// with the same name (renamed per rename, lower-cased old name to new
// name) whose type did not change: a table rewrite rebuilds the column
// definitions from go-mysql-server's schema, which has no scale.
func keepFloatScales(cols, old []columnDef, rename map[string]string) {
	for _, o := range old {
		if o.FloatScale == nil {
			continue
		}
		name := o.Name
		if to, ok := rename[strings.ToLower(name)]; ok {
			name = to
		}
		for i := range cols {
			if strings.EqualFold(cols[i].Name, name) && cols[i].Type == o.Type {
				cols[i].FloatScale = o.FloatScale
			}
		}
	}
}

// FloatScale returns the declared scale of a FLOAT(M,D) or DOUBLE(M,D)
// column, and whether it has one.
func (p *Provider) FloatScale(db, table, column string) (int, bool) {
	st := p.catalog.table(db, table)
	if st == nil {
		return 0, false
	}
	for _, c := range st.def.Columns {
		if c.FloatScale != nil && strings.EqualFold(c.Name, column) {
			return int(*c.FloatScale), true
		}
	}
	return 0, false
}
