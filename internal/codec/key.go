package codec

import (
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// Key tags: the first byte of every encoded key value. Their relative order
// only matters between NULL and the tags of one column type, and between
// the three decimal sign tags. 0x00 and 0xFF are never produced, so callers
// may use them as below-everything / above-everything sentinels.
const (
	tagNull     = 0x01
	tagIntBase  = 0x10 // + width: signed integer, width bytes big-endian, top bit flipped
	tagUintBase = 0x20 // + width: unsigned integer, width bytes big-endian
	tagFloat32  = 0x30 // 4 bytes, IEEE bits with the sign trick
	tagFloat64  = 0x31 // 8 bytes, IEEE bits with the sign trick
	tagDecNeg   = 0x38 // complemented exponent and digits
	tagDecZero  = 0x39 // no payload
	tagDecPos   = 0x3A // 2-byte biased exponent, BCD digits+1, 0 nibble ends
	tagTime     = 0x40 // int64 microseconds since the Unix epoch, top bit flipped
	tagTimespan = 0x41 // int64 microseconds, top bit flipped
	tagWeights  = 0x50 // collation weights, varint coded, 0x00 terminated
	tagBytes    = 0x60 // raw bytes, 0x00 escaped as 0x00 0xFF, ends 0x00 0x01
)

// Weight classes of a string key. Each collation weight w (0 <= w < 2^32)
// is coded by a first byte that is never 0x00, the string terminator, and
// the classes are ordered: one byte < two bytes < three bytes < five bytes.
const (
	weight1Limit = 0x7F                    // w < 0x7F: one byte w+1 (0x01..0x7F)
	weight2Limit = weight1Limit + 0x4000   // x = w-weight1Limit: 0x80|x>>8, x
	weight3Limit = weight2Limit + 0x200000 // x = w-weight2Limit: 0xC0|x>>16, x>>8, x
	weight5Tag   = 0xE0                    // 0xE0 then w as 4 bytes big-endian
)

const decExpBias = 0x8000 // decimal exponent e stored as uint16(e + bias)

// AppendKey appends the order-preserving encoding of one column value v of
// SQL type typ to dst.
//
// v is a value as go-mysql-server produces for typ; other Go types are
// converted exactly (an int64 for a TINYINT, "5" or 5.0 for an INT) and
// values that do not fit return ErrOutOfRange instead of being clamped.
// nil is SQL NULL and sorts below every non-NULL value. The encoding is
// self-delimiting (see SkipKey) and prefix-free, so keys of several columns
// can be concatenated and keep tuple order.
//
// Strings are encoded as the weights of typ's collation, so the key order is
// the order of go-mysql-server's StringType.Compare, which compares weights
// rune by rune and then length: it does not strip trailing spaces, even for
// PAD SPACE collations, and neither does this encoding ("a" < "a "). Binary
// string types encode their raw bytes. prefixLen > 0 first truncates a
// string to that many characters (bytes for binary types), for prefix
// indexes. JSON and geometry columns return ErrNotIndexable.
//
// On error dst is returned unchanged.
func AppendKey(dst []byte, typ sql.Type, v any, prefixLen uint16) ([]byte, error) {
	if v == nil {
		return append(dst, tagNull), nil
	}
	k, width, err := colKind(typ)
	if err != nil {
		return dst, err
	}
	switch k {
	case kindJSON, kindGeometry:
		return dst, fmt.Errorf("%w: %s", ErrNotIndexable, typ)
	case kindNull:
		return append(dst, tagNull), nil
	}
	v, err = normalize(typ, k, width, v)
	if err != nil {
		return dst, err
	}
	switch k {
	case kindInt:
		i := intValue(v)
		return appendBE(append(dst, byte(tagIntBase+width)), uint64(i)^1<<uint(width*8-1), width), nil
	case kindYear:
		return appendBE(append(dst, tagIntBase+2), uint64(int64(v.(int16)))^1<<15, 2), nil
	case kindUint:
		return appendBE(append(dst, byte(tagUintBase+width)), uintValue(v), width), nil
	case kindEnum:
		return appendBE(append(dst, tagUintBase+2), uint64(v.(uint16)), 2), nil
	case kindSet, kindBit:
		return appendBE(append(dst, tagUintBase+8), v.(uint64), 8), nil
	case kindFloat32:
		f := v.(float32)
		if f == 0 {
			f = 0 // -0 and +0 compare equal
		}
		bits := uint64(math.Float32bits(f))
		if bits&(1<<31) != 0 {
			bits = ^bits
		} else {
			bits |= 1 << 31
		}
		return appendBE(append(dst, tagFloat32), bits, 4), nil
	case kindFloat64:
		f := v.(float64)
		if f == 0 {
			f = 0
		}
		bits := math.Float64bits(f)
		if bits&(1<<63) != 0 {
			bits = ^bits
		} else {
			bits |= 1 << 63
		}
		return appendBE(append(dst, tagFloat64), bits, 8), nil
	case kindDecimal:
		return appendDecimalKey(dst, v.(decimal.Decimal))
	case kindTime:
		return appendBE(append(dst, tagTime), uint64(v.(time.Time).UnixMicro())^1<<63, 8), nil
	case kindTimespan:
		return appendBE(append(dst, tagTimespan), uint64(int64(v.(types.Timespan)))^1<<63, 8), nil
	case kindString:
		return appendWeightsKey(dst, typ, v.(string), prefixLen)
	case kindBytes:
		b := v.([]byte)
		if prefixLen > 0 && len(b) > int(prefixLen) {
			b = b[:prefixLen]
		}
		return appendEscaped(append(dst, tagBytes), b), nil
	}
	return dst, fmt.Errorf("%w: %s", ErrUnsupportedType, typ)
}

func intValue(v any) int64 {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	}
	return v.(int64)
}

func uintValue(v any) uint64 {
	switch x := v.(type) {
	case uint8:
		return uint64(x)
	case uint16:
		return uint64(x)
	case uint32:
		return uint64(x)
	}
	return v.(uint64)
}

// appendBE appends the low width bytes of u, big-endian.
func appendBE(dst []byte, u uint64, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		dst = append(dst, byte(u>>(uint(i)*8)))
	}
	return dst
}

// appendEscaped appends b with 0x00 escaped as 0x00 0xFF and the terminator
// 0x00 0x01, which sorts below any continuation so prefixes sort first.
func appendEscaped(dst, b []byte) []byte {
	for {
		i := indexZero(b)
		if i < 0 {
			dst = append(dst, b...)
			break
		}
		dst = append(dst, b[:i]...)
		dst = append(dst, 0x00, 0xFF)
		b = b[i+1:]
	}
	return append(dst, 0x00, 0x01)
}

func indexZero(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// appendWeightsKey appends the collation weights of s.
func appendWeightsKey(dst []byte, typ sql.Type, s string, prefixLen uint16) ([]byte, error) {
	st, ok := typ.(sql.StringType)
	if !ok {
		return dst, fmt.Errorf("%w: %s is not a string type", ErrUnsupportedType, typ)
	}
	sorter := st.Collation().Sorter()
	if sorter == nil {
		return dst, fmt.Errorf("%w: collation %s has no sort order", ErrUnsupportedType, st.Collation())
	}
	out := append(dst, tagWeights)
	for n := 0; len(s) > 0; n++ {
		if prefixLen > 0 && n == int(prefixLen) {
			break
		}
		r, size := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && size <= 1 {
			return dst, fmt.Errorf("%w: malformed string for %s", ErrOutOfRange, typ)
		}
		s = s[size:]
		out = appendWeight(out, uint32(sorter(r)))
	}
	return append(out, 0x00), nil
}

func appendWeight(dst []byte, w uint32) []byte {
	switch {
	case w < weight1Limit:
		return append(dst, byte(w+1))
	case w < weight2Limit:
		x := w - weight1Limit
		return append(dst, 0x80|byte(x>>8), byte(x))
	case w < weight3Limit:
		x := w - weight2Limit
		return append(dst, 0xC0|byte(x>>16), byte(x>>8), byte(x))
	}
	return append(dst, weight5Tag, byte(w>>24), byte(w>>16), byte(w>>8), byte(w))
}

// appendDecimalKey writes d as sign tag, exponent and digits, where
// |d| = 0.d1d2...dn * 10^e with d1 != 0 and dn != 0: trailing zeros are
// dropped, so 1.5 and 1.50 encode identically. The exponent is a biased
// uint16 and the digits are nibbles digit+1 closed by a 0 nibble; for
// negative values every payload byte is complemented.
func appendDecimalKey(dst []byte, d decimal.Decimal) ([]byte, error) {
	sign := d.Sign()
	if sign == 0 {
		return append(dst, tagDecZero), nil
	}
	digits := d.Coefficient()
	digits.Abs(digits)
	txt := digits.Text(10)
	e := int64(len(txt)) + int64(d.Exponent())
	end := len(txt)
	for end > 1 && txt[end-1] == '0' {
		end--
	}
	txt = txt[:end]
	if e+decExpBias < 0 || e+decExpBias > math.MaxUint16 {
		return dst, fmt.Errorf("%w: decimal exponent %d", ErrOutOfRange, e)
	}
	var mask byte
	tag := byte(tagDecPos)
	if sign < 0 {
		mask, tag = 0xFF, tagDecNeg
	}
	be := uint16(e + decExpBias)
	dst = append(dst, tag, byte(be>>8)^mask, byte(be)^mask)
	for i := 0; i < len(txt); i += 2 {
		hi := txt[i] - '0' + 1
		var lo byte
		if i+1 < len(txt) {
			lo = txt[i+1] - '0' + 1
		}
		dst = append(dst, (hi<<4|lo)^mask)
	}
	if len(txt)%2 == 0 {
		dst = append(dst, mask) // a whole terminator byte
	}
	return dst, nil
}

// SkipKey returns the length of the single encoded key value at the start
// of b. It does not need the column type.
func SkipKey(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: empty key", ErrCorrupt)
	}
	need := 0
	switch tag := b[0]; {
	case tag == tagNull || tag == tagDecZero:
		return 1, nil
	case tag == tagIntBase+1, tag == tagIntBase+2, tag == tagIntBase+3, tag == tagIntBase+4, tag == tagIntBase+8:
		need = 1 + int(tag-tagIntBase)
	case tag == tagUintBase+1, tag == tagUintBase+2, tag == tagUintBase+3, tag == tagUintBase+4, tag == tagUintBase+8:
		need = 1 + int(tag-tagUintBase)
	case tag == tagFloat32:
		need = 5
	case tag == tagFloat64, tag == tagTime, tag == tagTimespan:
		need = 9
	case tag == tagDecPos, tag == tagDecNeg:
		var mask byte
		if tag == tagDecNeg {
			mask = 0xFF
		}
		for i := 3; i < len(b); i++ {
			c := b[i] ^ mask
			if c>>4 == 0 || c&0x0F == 0 {
				return i + 1, nil
			}
		}
		return 0, fmt.Errorf("%w: unterminated decimal key", ErrCorrupt)
	case tag == tagWeights:
		for i := 1; i < len(b); {
			c := b[i]
			switch {
			case c == 0x00:
				return i + 1, nil
			case c < 0x80:
				i++
			case c < 0xC0:
				i += 2
			case c < weight5Tag:
				i += 3
			default:
				i += 5
			}
		}
		return 0, fmt.Errorf("%w: unterminated string key", ErrCorrupt)
	case tag == tagBytes:
		for i := 1; i+1 < len(b); i++ {
			if b[i] != 0x00 {
				continue
			}
			switch b[i+1] {
			case 0x01:
				return i + 2, nil
			case 0xFF:
				i++
			default:
				return 0, fmt.Errorf("%w: bad escape in bytes key", ErrCorrupt)
			}
		}
		return 0, fmt.Errorf("%w: unterminated bytes key", ErrCorrupt)
	default:
		return 0, fmt.Errorf("%w: unknown key tag 0x%02x", ErrCorrupt, tag)
	}
	if len(b) < need {
		return 0, fmt.Errorf("%w: truncated key", ErrCorrupt)
	}
	return need, nil
}
