package mysqlserver

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// The packets of a result set that guocedb writes itself (the extra result
// sets of a CALL, see call.go), in the text or the binary protocol, as
// MySQL's client/server protocol documents them.

// wireResult converts a go-mysql-server result into the column
// definitions and values the wire carries, as go-mysql-server's handler
// does for the result it sends itself.
func wireResult(ctx *sql.Context, sch sql.Schema, rows []sql.Row) (*sqltypes.Result, error) {
	res := &sqltypes.Result{Fields: make([]*querypb.Field, len(sch)), Rows: make([][]sqltypes.Value, 0, len(rows))}
	results := ctx.GetCharacterSetResults()
	for i, col := range sch {
		f := &querypb.Field{
			Name: col.Name, OrgName: col.Name, Table: col.Source, OrgTable: col.Source,
			Database: col.DatabaseSource, Type: col.Type.Type(),
			ColumnLength: col.Type.MaxTextResponseByteLength(ctx),
			Charset:      uint32(sql.Collation_Default.CharacterSet()),
		}
		if tc, ok := col.Type.(sql.TypeWithCollation); ok {
			f.Charset = uint32(tc.Collation().CharacterSet())
		}
		switch {
		case types.IsBinaryType(col.Type):
			f.Charset = uint32(sql.Collation_binary)
		case results != sql.CharacterSet_Unspecified:
			f.Charset = uint32(results)
		}
		var flags querypb.MySqlFlag
		if !col.Nullable {
			flags |= querypb.MySqlFlag_NOT_NULL_FLAG
		}
		if col.PrimaryKey {
			flags |= querypb.MySqlFlag_PRI_KEY_FLAG
		}
		if col.AutoIncrement {
			flags |= querypb.MySqlFlag_AUTO_INCREMENT_FLAG
		}
		if types.IsUnsigned(col.Type) {
			flags |= querypb.MySqlFlag_UNSIGNED_FLAG
		}
		f.Flags = uint32(flags)
		if dt, ok := col.Type.(sql.DecimalType); ok {
			f.Decimals = uint32(dt.Scale())
		} else if tt, ok := col.Type.(sql.DatetimeType); ok {
			f.Decimals = uint32(tt.Precision())
		}
		res.Fields[i] = f
	}
	for _, row := range rows {
		vals := make([]sqltypes.Value, len(sch))
		for i, col := range sch {
			if i >= len(row) || row[i] == nil {
				vals[i] = sqltypes.NULL
				continue
			}
			v, err := col.Type.SQL(ctx, nil, row[i])
			if err != nil {
				return nil, fmt.Errorf("result column %s: %w", col.Name, err)
			}
			vals[i] = v
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, nil
}

// resultPackets returns the payloads of one whole result set followed by
// its end packet with SERVER_MORE_RESULTS_EXISTS: more results follow.
// status is the connection's status flags; binaryRows selects the binary
// protocol (COM_STMT_EXECUTE) for the rows.
func resultPackets(res *sqltypes.Result, caps uint32, status uint16, binaryRows bool) ([][]byte, error) {
	deprecateEOF := caps&mysql.CapabilityClientDeprecateEOF != 0
	out := make([][]byte, 0, len(res.Fields)+len(res.Rows)+3)
	out = append(out, appendLenInt(nil, uint64(len(res.Fields))))
	for _, f := range res.Fields {
		out = append(out, columnDefinition(f))
	}
	if !deprecateEOF {
		out = append(out, eofPacket(status|mysql.ServerMoreResultsExists))
	}
	for _, row := range res.Rows {
		var p []byte
		if binaryRows {
			var err error
			if p, err = binaryRow(res.Fields, row); err != nil {
				return nil, err
			}
		} else {
			p = textRow(row)
		}
		out = append(out, p)
	}
	end := status | mysql.ServerMoreResultsExists
	if deprecateEOF {
		// An OK packet with the EOF header: affected rows, insert id,
		// status, warnings.
		out = append(out, binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16([]byte{0xfe, 0, 0}, end), 0))
	} else {
		out = append(out, eofPacket(end))
	}
	return out, nil
}

func eofPacket(status uint16) []byte {
	return binary.LittleEndian.AppendUint16([]byte{0xfe, 0, 0}, status)
}

// columnDefinition is Protocol::ColumnDefinition41.
func columnDefinition(f *querypb.Field) []byte {
	typ, flags := sqltypes.TypeToMySQL(f.Type)
	if f.Flags != 0 {
		flags = int64(f.Flags)
	}
	var p []byte
	for _, s := range []string{"def", f.Database, f.Table, f.OrgTable, f.Name, f.OrgName} {
		p = appendLenString(p, s)
	}
	p = append(p, 0x0c)
	p = binary.LittleEndian.AppendUint16(p, uint16(f.Charset))
	p = binary.LittleEndian.AppendUint32(p, f.ColumnLength)
	p = append(p, byte(typ))
	p = binary.LittleEndian.AppendUint16(p, uint16(flags))
	p = append(p, byte(f.Decimals), 0, 0)
	return p
}

// textRow is a row of the text protocol: every value as a string, NULL as
// 0xfb.
func textRow(row []sqltypes.Value) []byte {
	var p []byte
	for _, v := range row {
		if v.IsNull() {
			p = append(p, 0xfb)
			continue
		}
		p = appendLenBytes(p, v.Raw())
	}
	return p
}

// binaryRow is a row of the binary protocol: a NULL bitmap (offset 2),
// then each non-NULL value in its column type's binary form.
func binaryRow(fields []*querypb.Field, row []sqltypes.Value) ([]byte, error) {
	bitmap := make([]byte, (len(fields)+7+2)/8)
	var vals []byte
	for i, v := range row {
		if v.IsNull() {
			bitmap[(i+2)/8] |= 1 << ((i + 2) % 8)
			continue
		}
		var err error
		if vals, err = appendBinaryValue(vals, fields[i].Type, v.Raw()); err != nil {
			return nil, fmt.Errorf("column %s: %w", fields[i].Name, err)
		}
	}
	p := append([]byte{0}, bitmap...)
	return append(p, vals...), nil
}

func appendBinaryValue(p []byte, typ querypb.Type, raw []byte) ([]byte, error) {
	s := string(raw)
	switch typ {
	case querypb.Type_INT8, querypb.Type_UINT8, querypb.Type_INT16, querypb.Type_UINT16, querypb.Type_YEAR,
		querypb.Type_INT24, querypb.Type_UINT24, querypb.Type_INT32, querypb.Type_UINT32,
		querypb.Type_INT64, querypb.Type_UINT64:
		var u uint64
		if strings.HasPrefix(s, "-") {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, err
			}
			u = uint64(n)
		} else {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, err
			}
			u = n
		}
		switch typ {
		case querypb.Type_INT8, querypb.Type_UINT8:
			return append(p, byte(u)), nil
		case querypb.Type_INT16, querypb.Type_UINT16, querypb.Type_YEAR:
			return binary.LittleEndian.AppendUint16(p, uint16(u)), nil
		case querypb.Type_INT64, querypb.Type_UINT64:
			return binary.LittleEndian.AppendUint64(p, u), nil
		default:
			return binary.LittleEndian.AppendUint32(p, uint32(u)), nil
		}
	case querypb.Type_FLOAT32:
		f, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return nil, err
		}
		return binary.LittleEndian.AppendUint32(p, math.Float32bits(float32(f))), nil
	case querypb.Type_FLOAT64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, err
		}
		return binary.LittleEndian.AppendUint64(p, math.Float64bits(f)), nil
	case querypb.Type_DATE, querypb.Type_DATETIME, querypb.Type_TIMESTAMP:
		return appendBinaryDatetime(p, s)
	case querypb.Type_TIME:
		return appendBinaryTime(p, s)
	default:
		return appendLenBytes(p, raw), nil
	}
}

// appendBinaryDatetime encodes "YYYY-MM-DD[ hh:mm:ss[.ffffff]]": the
// shortest of the 0, 4, 7 and 11 byte forms (a zero date is the empty
// one, which clients read as the zero time).
func appendBinaryDatetime(p []byte, s string) ([]byte, error) {
	var y, mo, d, h, mi, sec, us int
	date, clock, _ := strings.Cut(s, " ")
	if _, err := fmt.Sscanf(date, "%d-%d-%d", &y, &mo, &d); err != nil {
		return nil, fmt.Errorf("date %q: %w", s, err)
	}
	if clock != "" {
		whole, frac, _ := strings.Cut(clock, ".")
		if _, err := fmt.Sscanf(whole, "%d:%d:%d", &h, &mi, &sec); err != nil {
			return nil, fmt.Errorf("datetime %q: %w", s, err)
		}
		us = micros(frac)
	}
	var n byte
	switch {
	case us != 0:
		n = 11
	case h != 0 || mi != 0 || sec != 0:
		n = 7
	case y != 0 || mo != 0 || d != 0:
		n = 4
	}
	p = append(p, n)
	if n == 0 {
		return p, nil
	}
	p = binary.LittleEndian.AppendUint16(p, uint16(y))
	p = append(p, byte(mo), byte(d))
	if n >= 7 {
		p = append(p, byte(h), byte(mi), byte(sec))
	}
	if n == 11 {
		p = binary.LittleEndian.AppendUint32(p, uint32(us))
	}
	return p, nil
}

// appendBinaryTime encodes "[-]hhh:mm:ss[.ffffff]" as days and hours.
func appendBinaryTime(p []byte, s string) ([]byte, error) {
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	var h, mi, sec int
	if _, err := fmt.Sscanf(whole, "%d:%d:%d", &h, &mi, &sec); err != nil {
		return nil, fmt.Errorf("time %q: %w", s, err)
	}
	us := micros(frac)
	if h == 0 && mi == 0 && sec == 0 && us == 0 {
		return append(p, 0), nil
	}
	n := byte(8)
	if us != 0 {
		n = 12
	}
	var sign byte
	if neg {
		sign = 1
	}
	p = append(p, n, sign)
	p = binary.LittleEndian.AppendUint32(p, uint32(h/24))
	p = append(p, byte(h%24), byte(mi), byte(sec))
	if us != 0 {
		p = binary.LittleEndian.AppendUint32(p, uint32(us))
	}
	return p, nil
}

// micros reads up to six fraction digits as microseconds.
func micros(frac string) int {
	if len(frac) > 6 {
		frac = frac[:6]
	}
	frac += strings.Repeat("0", 6-len(frac))
	n, _ := strconv.Atoi(frac)
	return n
}

func appendLenInt(p []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(p, byte(n))
	case n < 1<<16:
		return binary.LittleEndian.AppendUint16(append(p, 0xfc), uint16(n))
	case n < 1<<24:
		return append(p, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	default:
		return binary.LittleEndian.AppendUint64(append(p, 0xfe), n)
	}
}

func appendLenString(p []byte, s string) []byte {
	return append(appendLenInt(p, uint64(len(s))), s...)
}

func appendLenBytes(p, b []byte) []byte {
	return append(appendLenInt(p, uint64(len(b))), b...)
}
