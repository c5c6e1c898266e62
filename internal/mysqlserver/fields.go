package mysqlserver

import (
	"strings"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// Column metadata as MySQL sends it, where go-mysql-server v0.20.0 differs
// in ways drivers act on (go-sql-driver picks scan types and reports
// DecimalSize from these).
const (
	// notFixedDecimals is MySQL's NOT_FIXED_DEC: a FLOAT or DOUBLE without
	// a declared scale.
	notFixedDecimals = 31
	binaryCharset    = 63
)

// fixFields adjusts the fields of query's result in place; it is
// idempotent, so fields cached by go-mysql-server may pass through it
// again.
// aliases are the statement's table aliases (table_aliases.go).
func (h *handler) fixFields(query string, fields []*querypb.Field, aliases tableAliases) {
	for _, f := range fields {
		if f.Table != "" {
			f.Table = spelledAs(query, f.Table)
		}
		aliases.fixOrgTable(f)
		if f.Table == "" && f.OrgTable == "" {
			// An expression: MySQL names no original column (C clients
			// read org_name to tell columns from expressions).
			f.OrgName = ""
		}
		switch f.Type {
		case querypb.Type_FLOAT32, querypb.Type_FLOAT64:
			// A column of a table declared FLOAT(M,D) has D decimals,
			// which go-mysql-server does not keep (the catalog does).
			if f.Decimals == 0 && h.floatScale != nil && f.OrgTable != "" && f.OrgName != "" {
				if d, ok := h.floatScale(f.Database, f.OrgTable, f.OrgName); ok {
					f.Decimals = uint32(d)
				}
			}
			if f.Decimals == 0 {
				f.Decimals = notFixedDecimals
			}
		case querypb.Type_YEAR:
			f.Flags |= uint32(querypb.MySqlFlag_UNSIGNED_FLAG | querypb.MySqlFlag_ZEROFILL_FLAG)
			f.Charset = binaryCharset
		case querypb.Type_JSON:
			// MySQL sends JSON as binary data (clients decode it as UTF-8).
			f.Charset = binaryCharset
		case querypb.Type_BIT:
			f.Flags |= uint32(querypb.MySqlFlag_UNSIGNED_FLAG)
			f.Charset = binaryCharset
		}
	}
}

// fixingFields wraps a result callback so that the column definitions it
// sends pass through fixFields.
func (h *handler) fixingFields(c *mysql.Conn, query string, callback mysql.ResultSpoolFn) mysql.ResultSpoolFn {
	return func(res *sqltypes.Result, more bool) error {
		if res != nil {
			h.fixFields(query, res.Fields, h.aliases.of(c.ConnectionID))
		}
		return callback(res, more)
	}
}

// spelledAs returns name as the query spells it: go-mysql-server reports
// table names and aliases lower-cased, MySQL as written (SELECT ... AS A
// gives table "A"). A name the query does not contain is kept.
func spelledAs(query, name string) string {
	if strings.Contains(query, name) {
		return name // the common case: spelled as reported
	}
	lower := strings.ToLower(query)
	want := strings.ToLower(name)
	for from := 0; ; {
		i := strings.Index(lower[from:], want)
		if i < 0 {
			return name
		}
		i += from
		end := i + len(want)
		if (i == 0 || !isIdentByte(lower[i-1])) && (end == len(lower) || !isIdentByte(lower[end])) &&
			len(query) == len(lower) {
			return query[i:end]
		}
		from = i + 1
	}
}

func isIdentByte(b byte) bool {
	return b == '_' || b == '$' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}

// zeroDate is MySQL's zero DATE as text.
const zeroDate = "0000-00-00"

// zeroDatesForBinary empties the zero DATE, DATETIME and TIMESTAMP values
// of a binary-protocol result: MySQL sends a zero date as the empty
// (length 0) value, which clients read as their zero time, while vitess
// encodes year, month and day 0, which go-sql-driver turns into
// -0001-11-30.
func zeroDatesForBinary(res *sqltypes.Result) {
	for c, f := range res.Fields {
		if f.Type != querypb.Type_DATE && f.Type != querypb.Type_DATETIME && f.Type != querypb.Type_TIMESTAMP {
			continue
		}
		for _, row := range res.Rows {
			if c < len(row) && isZeroDate(row[c].Raw()) {
				row[c] = sqltypes.MakeTrusted(f.Type, nil)
			}
		}
	}
}

// isZeroDate reports whether raw is "0000-00-00" with an optional zero
// time ("00:00:00[.000000]").
func isZeroDate(raw []byte) bool {
	if len(raw) < len(zeroDate) || string(raw[:len(zeroDate)]) != zeroDate {
		return false
	}
	return strings.Trim(string(raw[len(zeroDate):]), " 0:.") == ""
}
