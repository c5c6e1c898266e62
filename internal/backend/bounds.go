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
	if v, pos, ok := integerKey(typ, key); ok {
		return v, pos, false, true
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

// integerKey is integerBound for a key that is a Go integer, the common
// case (a literal or a parameter compared with an integer column), in
// integer arithmetic: the decimal path costs about 14 allocations per
// bound. ok is false for other keys.
func integerKey(typ sql.Type, key any) (v any, pos boundPos, ok bool) {
	var neg int64 // the key when negative
	var mag uint64
	switch k := key.(type) {
	case int8:
		neg, mag = signedParts(int64(k))
	case int16:
		neg, mag = signedParts(int64(k))
	case int32:
		neg, mag = signedParts(int64(k))
	case int64:
		neg, mag = signedParts(k)
	case int:
		neg, mag = signedParts(int64(k))
	case uint8:
		mag = uint64(k)
	case uint16:
		mag = uint64(k)
	case uint32:
		mag = uint64(k)
	case uint64:
		mag = k
	case uint:
		mag = uint64(k)
	default:
		return nil, inDomain, false
	}
	if types.IsSigned(typ) {
		lo, hi := signedDomain(typ)
		switch {
		case neg < lo:
			return nil, belowDomain, true
		case neg < 0:
			return neg, inDomain, true
		case mag > uint64(hi):
			return nil, aboveDomain, true
		}
		return int64(mag), inDomain, true
	}
	switch {
	case neg < 0:
		return nil, belowDomain, true
	case mag > unsignedMax(typ):
		return nil, aboveDomain, true
	}
	return mag, inDomain, true
}

// signedParts splits k into its value when negative (else 0) and its
// value when not negative (else 0).
func signedParts(k int64) (neg int64, mag uint64) {
	if k < 0 {
		return k, 0
	}
	return 0, uint64(k)
}

// signedDomain is integerDomain for a signed integer type, in integers.
func signedDomain(typ sql.Type) (lo, hi int64) {
	switch typ.Type() {
	case query.Type_INT8:
		return math.MinInt8, math.MaxInt8
	case query.Type_INT16:
		return math.MinInt16, math.MaxInt16
	case query.Type_INT24:
		return -1 << 23, 1<<23 - 1
	case query.Type_INT32:
		return math.MinInt32, math.MaxInt32
	default:
		return math.MinInt64, math.MaxInt64
	}
}

// unsignedMax is integerDomain's upper end for an unsigned integer type.
func unsignedMax(typ sql.Type) uint64 {
	switch typ.Type() {
	case query.Type_UINT8:
		return math.MaxUint8
	case query.Type_UINT16:
		return math.MaxUint16
	case query.Type_UINT24:
		return 1<<24 - 1
	case query.Type_UINT32:
		return math.MaxUint32
	default:
		return math.MaxUint64
	}
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
