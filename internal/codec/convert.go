package codec

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// convCtx is handed to go-mysql-server's Type.Convert, which takes a plain
// context.Context in v0.20.0 and does not read session state from it.
var convCtx = context.Background()

// normalize returns v as the Go type go-mysql-server uses for a column of
// kind k (see kind), converting other Go types. It never clamps: a value
// that does not fit exactly returns ErrOutOfRange. v must not be nil.
func normalize(typ sql.Type, k kind, width int, v any) (any, error) {
	if w, ok := v.(sql.AnyWrapper); ok {
		u, err := w.UnwrapAny(convCtx)
		if err != nil {
			return nil, fmt.Errorf("codec: unwrap %T: %w", v, err)
		}
		v = u
	}
	if exactGoType(k, width, v) {
		return v, nil // no re-boxing on the hot path
	}
	switch k {
	case kindInt:
		i, err := toInt64(typ, v)
		if err != nil {
			return nil, err
		}
		n, ok := narrowInt(i, width)
		if !ok {
			return nil, outOfRange(typ, v)
		}
		return n, nil
	case kindUint:
		u, err := toUint64(typ, v)
		if err != nil {
			return nil, err
		}
		n, ok := narrowUint(u, width)
		if !ok {
			return nil, outOfRange(typ, v)
		}
		return n, nil
	case kindFloat32:
		switch x := v.(type) {
		case float32:
			return x, nil
		case float64:
			return float32(x), nil
		}
	case kindFloat64:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
	case kindDecimal:
		if d, ok := v.(decimal.Decimal); ok {
			return d, nil
		}
	case kindTime:
		if t, ok := v.(time.Time); ok {
			return t, nil
		}
	case kindTimespan:
		if t, ok := v.(types.Timespan); ok {
			return t, nil
		}
	case kindYear:
		if y, ok := v.(int16); ok {
			return y, nil
		}
	case kindEnum:
		if e, ok := v.(uint16); ok {
			return e, nil
		}
	case kindSet, kindBit:
		if u, ok := v.(uint64); ok {
			return u, nil
		}
	case kindString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case kindBytes:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case kindJSON:
		if j, ok := v.(sql.JSONWrapper); ok {
			return j, nil
		}
	case kindGeometry:
		if g, ok := v.(types.GeometryValue); ok {
			return g, nil
		}
	}
	return convert(typ, v)
}

// exactGoType reports whether v already has the Go type of kind k.
func exactGoType(k kind, width int, v any) bool {
	switch v.(type) {
	case int8:
		return k == kindInt && width == 1
	case int16:
		return (k == kindInt && width == 2) || k == kindYear
	case int32:
		return k == kindInt && width == 4 // MEDIUMINT needs a range check
	case int64:
		return k == kindInt && width == 8
	case uint8:
		return k == kindUint && width == 1
	case uint16:
		return (k == kindUint && width == 2) || k == kindEnum
	case uint32:
		return k == kindUint && width == 4
	case uint64:
		return (k == kindUint && width == 8) || k == kindSet || k == kindBit
	case float32:
		return k == kindFloat32
	case float64:
		return k == kindFloat64
	case string:
		return k == kindString
	case []byte:
		return k == kindBytes
	}
	return false
}

// convert runs the type's own conversion and turns clamping into an error.
func convert(typ sql.Type, v any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("codec: convert %T to %s: %v", v, typ, r)
		}
	}()
	out, inRange, err := typ.Convert(convCtx, v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v to %s: %w", ErrOutOfRange, v, typ, err)
	}
	if inRange == sql.OutOfRange {
		return nil, outOfRange(typ, v)
	}
	if out == nil {
		return nil, outOfRange(typ, v)
	}
	return sql.UnwrapAny(convCtx, out)
}

func outOfRange(typ sql.Type, v any) error {
	return fmt.Errorf("%w: %v (%T) for %s", ErrOutOfRange, v, v, typ)
}

// toInt64 converts v to an int64 exactly: fractional or out-of-range values
// are errors rather than being rounded like an INSERT would.
func toInt64(typ sql.Type, v any) (int64, error) {
	switch x := v.(type) {
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, outOfRange(typ, v)
		}
		return int64(x), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, outOfRange(typ, v)
		}
		return int64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	bi, err := toBigInt(typ, v)
	if err != nil {
		return 0, err
	}
	if !bi.IsInt64() {
		return 0, outOfRange(typ, v)
	}
	return bi.Int64(), nil
}

// toUint64 is toInt64 for unsigned columns.
func toUint64(typ sql.Type, v any) (uint64, error) {
	switch x := v.(type) {
	case uint8:
		return uint64(x), nil
	case uint16:
		return uint64(x), nil
	case uint32:
		return uint64(x), nil
	case uint64:
		return x, nil
	case uint:
		return uint64(x), nil
	case int8, int16, int32, int64, int:
		i, _ := toInt64(typ, v)
		if i < 0 {
			return 0, outOfRange(typ, v)
		}
		return uint64(i), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	bi, err := toBigInt(typ, v)
	if err != nil {
		return 0, err
	}
	if !bi.IsUint64() {
		return 0, outOfRange(typ, v)
	}
	return bi.Uint64(), nil
}

// toBigInt converts floats, decimals and numeric strings to an integer,
// failing unless the value is integral.
func toBigInt(typ sql.Type, v any) (*big.Int, error) {
	var d decimal.Decimal
	switch x := v.(type) {
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, outOfRange(typ, v)
		}
		d = decimal.NewFromFloat32(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, outOfRange(typ, v)
		}
		d = decimal.NewFromFloat(x)
	case decimal.Decimal:
		d = x
	case string:
		var err error
		d, err = decimal.NewFromString(x)
		if err != nil {
			return nil, fmt.Errorf("%w: %q is not a number for %s", ErrOutOfRange, x, typ)
		}
	case []byte:
		return toBigInt(typ, string(x))
	default:
		return nil, fmt.Errorf("%w: %T for %s", ErrOutOfRange, v, typ)
	}
	if d.IsZero() {
		return new(big.Int), nil
	}
	if d.Exponent() > 40 {
		// Far beyond 64 bits; refuse before materializing a huge big.Int.
		return nil, outOfRange(typ, v)
	}
	if !d.Equal(d.Truncate(0)) {
		return nil, outOfRange(typ, v)
	}
	return d.Truncate(0).BigInt(), nil
}

// narrowInt returns i as the Go type go-mysql-server uses for a signed
// integer column of width bytes, or false when it does not fit.
func narrowInt(i int64, width int) (any, bool) {
	if width < 8 {
		bits := uint(width * 8)
		if i < -int64(1)<<(bits-1) || i >= int64(1)<<(bits-1) {
			return nil, false
		}
	}
	switch width {
	case 1:
		return int8(i), true
	case 2:
		return int16(i), true
	case 3, 4:
		return int32(i), true
	}
	return i, true
}

// narrowUint is narrowInt for unsigned columns.
func narrowUint(u uint64, width int) (any, bool) {
	if width < 8 && u >= uint64(1)<<uint(width*8) {
		return nil, false
	}
	switch width {
	case 1:
		return uint8(u), true
	case 2:
		return uint16(u), true
	case 3, 4:
		return uint32(u), true
	}
	return u, true
}
