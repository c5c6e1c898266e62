package codec

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// EncodeRow appends a compact encoding of row to dst. Values are written
// positionally for exactly this schema: a column count, a NULL bitmap, then
// each non-NULL value in the layout of its kind (see docs/key-encoding.md).
// Values of another Go type than the column's are converted as by
// AppendKey. On error dst is returned unchanged.
func EncodeRow(dst []byte, sch sql.Schema, row sql.Row) ([]byte, error) {
	if len(row) != len(sch) {
		return dst, fmt.Errorf("codec: row has %d values for %d columns", len(row), len(sch))
	}
	out := binary.AppendUvarint(dst, uint64(len(sch)))
	bitmap := len(out)
	for i := 0; i < (len(sch)+7)/8; i++ {
		out = append(out, 0)
	}
	for i, col := range sch {
		v := row[i]
		if v == nil {
			out[bitmap+i/8] |= 1 << uint(i%8)
			continue
		}
		var err error
		out, err = appendValue(out, col.Type, v)
		if err != nil {
			return dst, fmt.Errorf("column %q: %w", col.Name, err)
		}
	}
	return out, nil
}

func appendValue(dst []byte, typ sql.Type, v any) ([]byte, error) {
	k, width, err := colKind(typ)
	if err != nil {
		return dst, err
	}
	if k == kindNull {
		return dst, fmt.Errorf("%w: non-NULL value %v for the NULL type", ErrOutOfRange, v)
	}
	v, err = normalize(typ, k, width, v)
	if err != nil {
		return dst, err
	}
	switch k {
	case kindInt:
		return binary.AppendVarint(dst, intValue(v)), nil
	case kindYear:
		return binary.AppendVarint(dst, int64(v.(int16))), nil
	case kindUint:
		return binary.AppendUvarint(dst, uintValue(v)), nil
	case kindEnum:
		return binary.AppendUvarint(dst, uint64(v.(uint16))), nil
	case kindSet, kindBit:
		return binary.AppendUvarint(dst, v.(uint64)), nil
	case kindFloat32:
		return binary.LittleEndian.AppendUint32(dst, math.Float32bits(v.(float32))), nil
	case kindFloat64:
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.(float64))), nil
	case kindDecimal:
		return appendDecimal(dst, v.(decimal.Decimal)), nil
	case kindTime:
		t := v.(time.Time)
		dst = binary.AppendVarint(dst, t.Unix())
		return binary.AppendUvarint(dst, uint64(t.Nanosecond())), nil
	case kindTimespan:
		return binary.AppendVarint(dst, int64(v.(types.Timespan))), nil
	case kindString:
		s := v.(string)
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		return append(dst, s...), nil
	case kindBytes:
		b := v.([]byte)
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		return append(dst, b...), nil
	case kindJSON:
		return appendJSON(dst, v.(sql.JSONWrapper))
	case kindGeometry:
		g := v.(types.GeometryValue).Serialize()
		dst = binary.AppendUvarint(dst, uint64(len(g)))
		return append(dst, g...), nil
	}
	return dst, fmt.Errorf("%w: %s", ErrUnsupportedType, typ)
}

// appendDecimal writes the exponent and the signed coefficient exactly, so
// the scale survives (1.50 stays 1.50 in a row, unlike in a key).
func appendDecimal(dst []byte, d decimal.Decimal) []byte {
	c := d.Coefficient()
	neg := c.Sign() < 0
	mag := c.Abs(c).Bytes()
	dst = binary.AppendVarint(dst, int64(d.Exponent()))
	hdr := uint64(len(mag)) << 1
	if neg {
		hdr |= 1
	}
	dst = binary.AppendUvarint(dst, hdr)
	return append(dst, mag...)
}

// rowReader walks an encoded row, turning every short read into ErrCorrupt.
type rowReader struct {
	b   []byte
	pos int
	// str is b copied once into a string; decoded strings are substrings of
	// it so a row costs one string allocation, not one per column.
	str string
	// raw is b copied once; decoded []byte values are capped subslices.
	raw []byte
}

func (r *rowReader) uvarint() (uint64, error) {
	u, n := binary.Uvarint(r.b[r.pos:])
	if n <= 0 {
		return 0, fmt.Errorf("%w: bad uvarint at %d", ErrCorrupt, r.pos)
	}
	r.pos += n
	return u, nil
}

func (r *rowReader) varint() (int64, error) {
	i, n := binary.Varint(r.b[r.pos:])
	if n <= 0 {
		return 0, fmt.Errorf("%w: bad varint at %d", ErrCorrupt, r.pos)
	}
	r.pos += n
	return i, nil
}

func (r *rowReader) fixed(n int) ([]byte, error) {
	if n < 0 || len(r.b)-r.pos < n {
		return nil, fmt.Errorf("%w: truncated value at %d", ErrCorrupt, r.pos)
	}
	p := r.b[r.pos : r.pos+n]
	r.pos += n
	return p, nil
}

// span reads a uvarint length and returns the bounds of that many bytes.
func (r *rowReader) span() (int, int, error) {
	n, err := r.uvarint()
	if err != nil {
		return 0, 0, err
	}
	if n > uint64(len(r.b)-r.pos) {
		return 0, 0, fmt.Errorf("%w: length %d past end at %d", ErrCorrupt, n, r.pos)
	}
	start := r.pos
	r.pos += int(n)
	return start, r.pos, nil
}

// readRowHeader reads a row's column count, which must be sch's, and
// its NULL bitmap; r then stands at the first value.
func readRowHeader(b []byte, sch sql.Schema) (r rowReader, bitmap []byte, err error) {
	r = rowReader{b: b}
	n, err := r.uvarint()
	if err != nil {
		return r, nil, err
	}
	if n != uint64(len(sch)) {
		return r, nil, fmt.Errorf("%w: row has %d columns, schema has %d", ErrCorrupt, n, len(sch))
	}
	bitmap, err = r.fixed((len(sch) + 7) / 8)
	return r, bitmap, err
}

// DecodeRow decodes a row encoded by EncodeRow with the same schema. It
// returns the Go types go-mysql-server uses for each column type; the
// result does not alias b. Corrupt or truncated input, or a row written for
// a different column count, returns an error wrapping ErrCorrupt.
func DecodeRow(b []byte, sch sql.Schema) (sql.Row, error) {
	r, bitmap, err := readRowHeader(b, sch)
	if err != nil {
		return nil, err
	}
	row := make(sql.Row, len(sch))
	for i, col := range sch {
		if bitmap[i/8]&(1<<uint(i%8)) != 0 {
			continue
		}
		v, err := r.value(col.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", col.Name, err)
		}
		row[i] = v
	}
	if r.pos != len(b) {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(b)-r.pos)
	}
	return row, nil
}

func (r *rowReader) value(typ sql.Type) (any, error) {
	k, width, err := colKind(typ)
	if err != nil {
		return nil, err
	}
	switch k {
	case kindInt:
		i, err := r.varint()
		if err != nil {
			return nil, err
		}
		n, ok := narrowInt(i, width)
		if !ok {
			return nil, fmt.Errorf("%w: %d does not fit %s", ErrCorrupt, i, typ)
		}
		return n, nil
	case kindYear:
		i, err := r.varint()
		if err != nil {
			return nil, err
		}
		if i < math.MinInt16 || i > math.MaxInt16 {
			return nil, fmt.Errorf("%w: year %d", ErrCorrupt, i)
		}
		return int16(i), nil
	case kindUint, kindEnum, kindSet, kindBit:
		u, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		if k == kindEnum {
			width = 2
		}
		n, ok := narrowUint(u, width)
		if !ok {
			return nil, fmt.Errorf("%w: %d does not fit %s", ErrCorrupt, u, typ)
		}
		if k == kindSet || k == kindBit {
			return u, nil // SET and BIT values are uint64 whatever their width
		}
		return n, nil
	case kindFloat32:
		p, err := r.fixed(4)
		if err != nil {
			return nil, err
		}
		return math.Float32frombits(binary.LittleEndian.Uint32(p)), nil
	case kindFloat64:
		p, err := r.fixed(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(p)), nil
	case kindDecimal:
		return r.decimal()
	case kindTime:
		sec, err := r.varint()
		if err != nil {
			return nil, err
		}
		nsec, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		if nsec >= 1e9 {
			return nil, fmt.Errorf("%w: nanoseconds %d", ErrCorrupt, nsec)
		}
		return time.Unix(sec, int64(nsec)).UTC(), nil
	case kindTimespan:
		i, err := r.varint()
		if err != nil {
			return nil, err
		}
		return types.Timespan(i), nil
	case kindString:
		start, end, err := r.span()
		if err != nil {
			return nil, err
		}
		if start == end {
			return "", nil
		}
		if r.str == "" {
			r.str = string(r.b)
		}
		return r.str[start:end], nil
	case kindBytes:
		start, end, err := r.span()
		if err != nil {
			return nil, err
		}
		if r.raw == nil {
			r.raw = append([]byte(nil), r.b...)
		}
		return r.raw[start:end:end], nil
	case kindJSON:
		start, end, err := r.span()
		if err != nil {
			return nil, err
		}
		return decodeJSON(r.b[start:end])
	case kindGeometry:
		start, end, err := r.span()
		if err != nil {
			return nil, err
		}
		return decodeGeometry(typ, r.b[start:end])
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupportedType, typ)
}

func (r *rowReader) decimal() (decimal.Decimal, error) {
	exp, err := r.varint()
	if err != nil {
		return decimal.Decimal{}, err
	}
	if exp < math.MinInt32 || exp > math.MaxInt32 {
		return decimal.Decimal{}, fmt.Errorf("%w: decimal exponent %d", ErrCorrupt, exp)
	}
	hdr, err := r.uvarint()
	if err != nil {
		return decimal.Decimal{}, err
	}
	if hdr>>1 > uint64(len(r.b)-r.pos) {
		return decimal.Decimal{}, fmt.Errorf("%w: decimal length %d", ErrCorrupt, hdr>>1)
	}
	mag, _ := r.fixed(int(hdr >> 1))
	c := new(big.Int).SetBytes(mag)
	if hdr&1 != 0 {
		c.Neg(c)
	}
	return decimal.NewFromBigInt(c, int32(exp)), nil
}

// decodeGeometry rebuilds a geometry value from go-mysql-server's own EWKB
// serialization. Its deserializers index without bounds checks, so a panic
// on corrupt bytes is turned into ErrCorrupt.
func decodeGeometry(typ sql.Type, b []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("%w: geometry: %v", ErrCorrupt, r)
		}
	}()
	v, _, err = types.GeometryType{}.Convert(convCtx, b)
	if err != nil {
		return nil, fmt.Errorf("%w: geometry: %w", ErrCorrupt, err)
	}
	if _, ok := v.(types.GeometryValue); !ok {
		return nil, fmt.Errorf("%w: geometry decoded to %T for %s", ErrCorrupt, v, typ)
	}
	return v, nil
}
