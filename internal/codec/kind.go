package codec

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/vt/proto/query"
)

// kind is the storage class of a column type: it decides the Go type a value
// is normalized to and the layout used in keys and rows.
type kind uint8

const (
	kindInvalid  kind = iota
	kindNull          // the NULL type: no value is ever stored
	kindInt           // int8/int16/int32/int64 by width
	kindUint          // uint8/uint16/uint32/uint64 by width
	kindFloat32       // float32
	kindFloat64       // float64
	kindDecimal       // decimal.Decimal
	kindTime          // time.Time (DATE, DATETIME, TIMESTAMP)
	kindTimespan      // types.Timespan (TIME)
	kindYear          // int16
	kindEnum          // uint16 (1-based index, 0 is the empty error value)
	kindSet           // uint64 bit mask
	kindBit           // uint64
	kindString        // string, compared by collation weights
	kindBytes         // []byte (BINARY, VARBINARY, BLOB)
	kindJSON          // sql.JSONWrapper, decoded as types.JSONDocument
	kindGeometry      // types.GeometryValue
)

// colKind classifies typ. width is the byte width of integer kinds.
func colKind(typ sql.Type) (k kind, width int, err error) {
	if typ == nil {
		return kindInvalid, 0, fmt.Errorf("%w: nil type", ErrUnsupportedType)
	}
	switch typ.Type() {
	case query.Type_NULL_TYPE:
		return kindNull, 0, nil
	case query.Type_INT8:
		return kindInt, 1, nil
	case query.Type_INT16:
		return kindInt, 2, nil
	case query.Type_INT24:
		return kindInt, 3, nil
	case query.Type_INT32:
		return kindInt, 4, nil
	case query.Type_INT64:
		return kindInt, 8, nil
	case query.Type_UINT8:
		return kindUint, 1, nil
	case query.Type_UINT16:
		return kindUint, 2, nil
	case query.Type_UINT24:
		return kindUint, 3, nil
	case query.Type_UINT32:
		return kindUint, 4, nil
	case query.Type_UINT64:
		return kindUint, 8, nil
	case query.Type_FLOAT32:
		return kindFloat32, 4, nil
	case query.Type_FLOAT64:
		return kindFloat64, 8, nil
	case query.Type_DECIMAL:
		return kindDecimal, 0, nil
	case query.Type_DATE, query.Type_DATETIME, query.Type_TIMESTAMP:
		return kindTime, 8, nil
	case query.Type_TIME:
		return kindTimespan, 8, nil
	case query.Type_YEAR:
		return kindYear, 2, nil
	case query.Type_ENUM:
		return kindEnum, 2, nil
	case query.Type_SET:
		return kindSet, 8, nil
	case query.Type_BIT:
		return kindBit, 8, nil
	case query.Type_CHAR, query.Type_VARCHAR, query.Type_TEXT:
		if _, ok := typ.(sql.StringType); !ok {
			return kindInvalid, 0, fmt.Errorf("%w: %s", ErrUnsupportedType, typ)
		}
		return kindString, 0, nil
	case query.Type_BINARY, query.Type_VARBINARY, query.Type_BLOB:
		return kindBytes, 0, nil
	case query.Type_JSON:
		return kindJSON, 0, nil
	case query.Type_GEOMETRY:
		return kindGeometry, 0, nil
	}
	return kindInvalid, 0, fmt.Errorf("%w: %s", ErrUnsupportedType, typ)
}
