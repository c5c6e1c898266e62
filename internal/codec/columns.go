package codec

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
)

// Columns selects the columns of a row to decode: a projection's scan
// decodes only what the statement reads (sysbench's range statements
// read one column of four). Build it once per projection; it is
// read-only afterwards and safe for concurrent use.
type Columns struct {
	ords []int
	// at[o] is the first output position of schema column o, -1 when
	// it is not asked for.
	at []int
	// last is the highest schema column asked for: decoding stops there.
	last int
	// dup: some column is asked for more than once.
	dup bool
}

// NewColumns selects the columns ords (schema ordinals, in output
// order) of rows with n columns. It returns nil when an ordinal is out
// of range: the caller decodes whole rows then.
func NewColumns(n int, ords []int) *Columns {
	c := &Columns{ords: append([]int(nil), ords...), at: make([]int, n), last: -1}
	for i := range c.at {
		c.at[i] = -1
	}
	for i, o := range ords {
		if o < 0 || o >= n {
			return nil
		}
		if c.at[o] >= 0 {
			c.dup = true
			continue
		}
		c.at[o] = i
		c.last = max(c.last, o)
	}
	return c
}

// DecodeColumns decodes the columns cols selects from a row encoded by
// EncodeRow with sch: out[i] is column cols.ords[i], with the Go type
// DecodeRow gives it. Columns not selected are skipped without building
// their values; the columns after the last selected one are not read,
// so only the selected columns and those before them are checked for
// corruption. The result does not alias b.
func DecodeColumns(b []byte, sch sql.Schema, cols *Columns) (sql.Row, error) {
	if len(cols.at) != len(sch) {
		return nil, fmt.Errorf("codec: columns selected of %d, schema has %d", len(cols.at), len(sch))
	}
	r, bitmap, err := readRowHeader(b, sch)
	if err != nil {
		return nil, err
	}
	row := make(sql.Row, len(cols.ords))
	for o := 0; o <= cols.last; o++ {
		if bitmap[o/8]&(1<<uint(o%8)) != 0 {
			continue
		}
		typ := sch[o].Type
		at := cols.at[o]
		if at < 0 {
			if err := r.skip(typ); err != nil {
				return nil, fmt.Errorf("column %q: %w", sch[o].Name, err)
			}
			continue
		}
		v, err := r.value(typ)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", sch[o].Name, err)
		}
		row[at] = v
	}
	if cols.dup {
		for i, o := range cols.ords {
			row[i] = row[cols.at[o]]
		}
	}
	return row, nil
}

// skip moves past one non-NULL value of typ without decoding it.
func (r *rowReader) skip(typ sql.Type) error {
	k, _, err := colKind(typ)
	if err != nil {
		return err
	}
	switch k {
	case kindInt, kindYear, kindTimespan:
		_, err = r.varint()
	case kindUint, kindEnum, kindSet, kindBit:
		_, err = r.uvarint()
	case kindFloat32:
		_, err = r.fixed(4)
	case kindFloat64:
		_, err = r.fixed(8)
	case kindDecimal:
		if _, err = r.varint(); err != nil {
			return err
		}
		var hdr uint64
		if hdr, err = r.uvarint(); err != nil {
			return err
		}
		if hdr>>1 > uint64(len(r.b)-r.pos) {
			return fmt.Errorf("%w: decimal length %d", ErrCorrupt, hdr>>1)
		}
		_, err = r.fixed(int(hdr >> 1))
	case kindTime:
		if _, err = r.varint(); err != nil {
			return err
		}
		_, err = r.uvarint()
	case kindString, kindBytes, kindJSON, kindGeometry:
		_, _, err = r.span()
	default:
		err = fmt.Errorf("%w: %s", ErrUnsupportedType, typ)
	}
	return err
}
