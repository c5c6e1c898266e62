package mysqlserver

import (
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

// fixFields adjusts fields in place; it is idempotent, so fields cached
// by go-mysql-server may pass through it again.
func fixFields(fields []*querypb.Field) {
	for _, f := range fields {
		switch f.Type {
		case querypb.Type_FLOAT32, querypb.Type_FLOAT64:
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
func fixingFields(callback mysql.ResultSpoolFn) mysql.ResultSpoolFn {
	return func(res *sqltypes.Result, more bool) error {
		if res != nil {
			fixFields(res.Fields)
		}
		return callback(res, more)
	}
}
