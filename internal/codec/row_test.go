package codec

import (
	"errors"
	"math"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

func col(name string, typ sql.Type) *sql.Column {
	return &sql.Column{Name: name, Type: typ, Nullable: true}
}

// allTypesSchema has one column of every storage kind.
var allTypesSchema = sql.Schema{
	col("i8", types.Int8), col("i16", types.Int16), col("i24", types.Int24), col("i32", types.Int32), col("i64", types.Int64),
	col("u8", types.Uint8), col("u16", types.Uint16), col("u24", types.Uint24), col("u32", types.Uint32), col("u64", types.Uint64),
	col("f32", types.Float32), col("f64", types.Float64), col("d", dec6530),
	col("date", types.Date), col("dt", dt6), col("ts", ts6), col("tm", types.Time), col("yr", types.Year),
	col("e", enumT), col("s", setT), col("bit", bit64),
	col("vc", vcAICI), col("txt", types.LongText), col("vb", varbin), col("bl", types.Blob),
	col("j", types.JSON), col("pt", types.PointType{}), col("geo", types.GeometryType{}),
	col("bool", types.Boolean),
}

func requireRowEqual(t *testing.T, want, got sql.Row) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		switch w := want[i].(type) {
		case decimal.Decimal:
			g, ok := got[i].(decimal.Decimal)
			require.True(t, ok, "column %d: %T", i, got[i])
			require.True(t, w.Equal(g) && w.Exponent() == g.Exponent(), "column %d: %s vs %s", i, w, g)
		case float64:
			if math.IsNaN(w) {
				require.True(t, math.IsNaN(got[i].(float64)))
				continue
			}
			require.Equal(t, want[i], got[i], "column %d", i)
		default:
			require.Equal(t, want[i], got[i], "column %d (%T)", i, want[i])
		}
	}
}

// roundTripRows are rows of allTypesSchema: extremes, NULLs, zero values.
func roundTripRows() []sql.Row {
	line := types.LineString{Points: []types.Point{{X: 0, Y: 0}, {X: 1, Y: 1}}}
	rows := []sql.Row{
		{int8(math.MinInt8), int16(math.MinInt16), int32(-8388608), int32(math.MinInt32), int64(math.MinInt64),
			uint8(0), uint16(0), uint32(0), uint32(0), uint64(0),
			float32(-math.MaxFloat32), -math.MaxFloat64, dec("-99999999999999999999999999999999999.999999999999999999999999999999"),
			utc(1000, 1, 1, 0, 0, 0, 0), utc(1000, 1, 1, 0, 0, 0, 1), utc(1970, 1, 1, 0, 0, 1, 0), types.Timespan(-3020399000000), int16(0),
			uint16(1), uint64(0), uint64(0),
			"", "", []byte{}, []byte{},
			types.JSONDocument{Val: nil}, types.Point{X: -1.5, Y: 2.25}, line,
			int8(0)},
		{int8(math.MaxInt8), int16(math.MaxInt16), int32(8388607), int32(math.MaxInt32), int64(math.MaxInt64),
			uint8(255), uint16(65535), uint32(16777215), uint32(math.MaxUint32), uint64(math.MaxUint64),
			float32(math.MaxFloat32), math.MaxFloat64, dec("99999999999999999999999999999999999.999999999999999999999999999999"),
			utc(9999, 12, 31, 0, 0, 0, 0), utc(9999, 12, 31, 23, 59, 59, 999999), utc(2038, 1, 19, 3, 14, 7, 999999), types.Timespan(3020399000000), int16(2155),
			uint16(3), uint64(7), uint64(math.MaxUint64),
			"Ünïcödé 日本 😀 with\x00zero", "a\x00b", []byte{0, 0, 1, 0}, []byte("blob\x00data"),
			types.JSONDocument{Val: map[string]any{"a": []any{1.5, "x", nil, true, false, map[string]any{"日本": "😀"}}, "big": int64(math.MaxInt64), "u": uint64(math.MaxUint64), "d": dec("1.50"), "": []any{}}},
			types.Point{SRID: 4326, X: 1, Y: 2}, types.Polygon{Lines: []types.LineString{{Points: []types.Point{{X: 0, Y: 0}, {X: 0, Y: 1}, {X: 1, Y: 1}, {X: 0, Y: 0}}}}},
			int8(1)},
		{int8(-1), nil, int32(0), nil, int64(1), nil, uint16(1), nil, uint32(1), nil,
			float32(0.1), 0.1, dec("0.000000000000000000000000000001"),
			nil, utc(2024, 2, 29, 12, 34, 56, 123456), nil, types.Timespan(-1), int16(1901),
			nil, uint64(5), nil,
			nil, "x", nil, []byte{0xFF},
			types.JSONDocument{Val: []any{"scalar", 1.0, []any{[]any{}}}}, nil, types.Point{X: 3, Y: 4},
			nil},
		make(sql.Row, len(allTypesSchema)), // all NULL
		{int8(0), int16(0), int32(0), int32(0), int64(0), uint8(0), uint16(0), uint32(0), uint32(0), uint64(0),
			float32(0), 0.0, dec("1.50"), types.Date.Zero(), dt6.Zero(), ts6.Zero(), types.Timespan(0), int16(0),
			uint16(2), uint64(2), uint64(1 << 63),
			"x", "y", []byte("z"), []byte("w"),
			types.JSONDocument{Val: "just a string"}, types.Point{}, types.MultiPoint{Points: []types.Point{{X: 1, Y: 1}}},
			int8(1)},
	}
	return rows
}

func TestRowRoundTrip(t *testing.T) {
	rows := roundTripRows()
	for i, row := range rows {
		require.Len(t, row, len(allTypesSchema))
		b, err := EncodeRow(nil, allTypesSchema, row)
		require.NoError(t, err, "row %d", i)
		got, err := DecodeRow(b, allTypesSchema)
		require.NoError(t, err, "row %d", i)
		requireRowEqual(t, row, got)
		// Every truncation is an error, never a panic.
		for n := 0; n < len(b); n++ {
			_, err := DecodeRow(b[:n], allTypesSchema)
			require.Error(t, err, "row %d truncated to %d", i, n)
		}
	}
}

func TestRowNullVsEmpty(t *testing.T) {
	sch := sql.Schema{col("s", types.Text), col("b", types.Blob), col("j", types.JSON)}
	for _, row := range []sql.Row{{nil, nil, nil}, {"", []byte{}, types.JSONDocument{Val: nil}}} {
		b, err := EncodeRow(nil, sch, row)
		require.NoError(t, err)
		got, err := DecodeRow(b, sch)
		require.NoError(t, err)
		require.Equal(t, row, got)
	}
}

func TestRowTypes(t *testing.T) {
	// Values arrive as go-mysql-server's Convert output and leave as the
	// same Go types, whatever Go type the caller handed in.
	for _, c := range allTypesSchema {
		if c.Type.Type() == types.JSON.Type() {
			continue
		}
		zero := c.Type.Zero()
		if zero == nil {
			continue
		}
		want, _, err := c.Type.Convert(tctx, zero)
		require.NoError(t, err, c.Name)
		row := make(sql.Row, len(allTypesSchema))
		for i := range allTypesSchema {
			if allTypesSchema[i] == c {
				row[i] = zero
			}
		}
		b, err := EncodeRow(nil, allTypesSchema, row)
		require.NoError(t, err, c.Name)
		got, err := DecodeRow(b, allTypesSchema)
		require.NoError(t, err)
		for i := range allTypesSchema {
			if allTypesSchema[i] == c {
				require.IsType(t, want, got[i], c.Name)
			}
		}
	}
}

func TestRowErrors(t *testing.T) {
	sch := sql.Schema{col("a", types.Int8), col("b", types.Text)}
	_, err := EncodeRow(nil, sch, sql.Row{int8(1)})
	require.Error(t, err)
	dst := []byte("keep")
	out, err := EncodeRow(dst, sch, sql.Row{int64(1000), "x"})
	require.ErrorIs(t, err, ErrOutOfRange)
	require.Equal(t, "keep", string(out))

	b, err := EncodeRow(nil, sch, sql.Row{int8(1), "x"})
	require.NoError(t, err)
	_, err = DecodeRow(b, sch[:1])
	require.ErrorIs(t, err, ErrCorrupt)
	_, err = DecodeRow(append(b, 0), sch)
	require.ErrorIs(t, err, ErrCorrupt)
	_, err = DecodeRow(b, append(sch, col("c", types.Int8)))
	require.True(t, errors.Is(err, ErrCorrupt))
}

func TestRowAppendsAndDoesNotAlias(t *testing.T) {
	sch := sql.Schema{col("s", types.Text), col("b", types.Blob)}
	b, err := EncodeRow([]byte("pfx"), sch, sql.Row{"hello", []byte("world")})
	require.NoError(t, err)
	require.Equal(t, "pfx", string(b[:3]))
	row, err := DecodeRow(b[3:], sch)
	require.NoError(t, err)
	for i := range b {
		b[i] = 0
	}
	require.Equal(t, sql.Row{"hello", []byte("world")}, row)
}
