package backend

import (
	"fmt"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/shopspring/decimal"
)

// boundPos says where a range key falls relative to an integer column's
// domain.
type boundPos int

const (
	inDomain boundPos = iota
	belowDomain
	aboveDomain
)

// integerBound normalises a range key for an integer column: keys the
// column cannot hold are placed below or above its domain, and a
// fractional key k is replaced by ceil(k) with the cut turned into "below"
// (no integer lies between k and ceil(k)). ok is false for columns and keys
// this does not apply to.
func integerBound(typ sql.Type, key any) (v any, pos boundPos, fractional bool, ok bool) {
	if !types.IsInteger(typ) || key == nil {
		return key, inDomain, false, false
	}
	var d decimal.Decimal
	switch k := key.(type) {
	case float32:
		if math.IsNaN(float64(k)) || math.IsInf(float64(k), 0) {
			return key, inDomain, false, false
		}
		d = decimal.NewFromFloat32(k)
	case float64:
		if math.IsNaN(k) || math.IsInf(k, 0) {
			return key, inDomain, false, false
		}
		d = decimal.NewFromFloat(k)
	case decimal.Decimal:
		d = k
	case string:
		var err error
		if d, err = decimal.NewFromString(k); err != nil {
			return key, inDomain, false, false
		}
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		d, _ = decimal.NewFromString(fmt.Sprint(k))
	default:
		return key, inDomain, false, false
	}
	lo, hi := integerDomain(typ)
	c := d.Ceil()
	fractional = !c.Equal(d)
	switch {
	case c.GreaterThan(hi):
		return nil, aboveDomain, fractional, true
	case d.LessThan(lo):
		return nil, belowDomain, fractional, true
	}
	if types.IsSigned(typ) {
		return c.IntPart(), inDomain, fractional, true
	}
	u, _ := decimal.NewFromString(c.String())
	return u.BigInt().Uint64(), inDomain, fractional, true
}

func integerDomain(typ sql.Type) (lo, hi decimal.Decimal) {
	switch typ.Type() {
	case query.Type_INT8:
		return decimal.NewFromInt(math.MinInt8), decimal.NewFromInt(math.MaxInt8)
	case query.Type_INT16:
		return decimal.NewFromInt(math.MinInt16), decimal.NewFromInt(math.MaxInt16)
	case query.Type_INT24:
		return decimal.NewFromInt(-1 << 23), decimal.NewFromInt(1<<23 - 1)
	case query.Type_INT32:
		return decimal.NewFromInt(math.MinInt32), decimal.NewFromInt(math.MaxInt32)
	case query.Type_INT64:
		return decimal.NewFromInt(math.MinInt64), decimal.NewFromInt(math.MaxInt64)
	case query.Type_UINT8:
		return decimal.Zero, decimal.NewFromInt(math.MaxUint8)
	case query.Type_UINT16:
		return decimal.Zero, decimal.NewFromInt(math.MaxUint16)
	case query.Type_UINT24:
		return decimal.Zero, decimal.NewFromInt(1<<24 - 1)
	case query.Type_UINT32:
		return decimal.Zero, decimal.NewFromInt(math.MaxUint32)
	default:
		hi, _ := decimal.NewFromString("18446744073709551615")
		return decimal.Zero, hi
	}
}
