package codec

import (
	"bytes"
	"errors"
	"math"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

func mustKey(t testing.TB, typ sql.Type, v any) []byte {
	t.Helper()
	k, err := AppendKey(nil, typ, v, 0)
	require.NoError(t, err, "%s %#v", typ, v)
	n, err := SkipKey(k)
	require.NoError(t, err)
	require.Equal(t, len(k), n, "SkipKey length for %s %#v", typ, v)
	return k
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func utc(y int, mo time.Month, d, h, mi, s, us int) time.Time {
	return time.Date(y, mo, d, h, mi, s, us*1000, time.UTC)
}

// oracle is the type's own Compare, except for NULL: go-mysql-server's
// CompareNulls puts NULL above every value, while keys (like MySQL's ORDER
// BY and index order) put it below.
func oracle(t *testing.T, typ sql.Type, a, b any) int {
	t.Helper()
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	c, err := typ.Compare(tctx, a, b)
	require.NoError(t, err)
	return c
}

// checkOrder asserts that keys of consecutive values compare like the
// type's own Compare (the oracle): every pair, not only neighbours.
func checkOrder(t *testing.T, typ sql.Type, vals []any) {
	t.Helper()
	keys := make([][]byte, len(vals))
	for i, v := range vals {
		keys[i] = mustKey(t, typ, v)
	}
	for i := range vals {
		for j := range vals {
			want := oracle(t, typ, vals[i], vals[j])
			got := bytes.Compare(keys[i], keys[j])
			require.Equal(t, want, got, "%s: %#v vs %#v (keys %x %x)", typ, vals[i], vals[j], keys[i], keys[j])
		}
	}
}

func TestKeyOrderPerType(t *testing.T) {
	cases := []struct {
		name string
		typ  sql.Type
		vals []any // ascending by the oracle (ties allowed)
	}{
		{"tinyint", types.Int8, []any{nil, int8(math.MinInt8), int8(-1), int8(0), int8(1), int8(math.MaxInt8)}},
		{"smallint", types.Int16, []any{nil, int16(math.MinInt16), int16(-256), int16(-1), int16(0), int16(255), int16(math.MaxInt16)}},
		{"mediumint", types.Int24, []any{nil, int32(-8388608), int32(-1), int32(0), int32(8388607)}},
		{"int", types.Int32, []any{nil, int32(math.MinInt32), int32(-1), int32(0), int32(1 << 20), int32(math.MaxInt32)}},
		{"bigint", types.Int64, []any{nil, int64(math.MinInt64), int64(-1), int64(0), int64(1), int64(math.MaxInt64)}},
		{"tinyint unsigned", types.Uint8, []any{nil, uint8(0), uint8(1), uint8(128), uint8(255)}},
		{"smallint unsigned", types.Uint16, []any{nil, uint16(0), uint16(256), uint16(math.MaxUint16)}},
		{"mediumint unsigned", types.Uint24, []any{nil, uint32(0), uint32(1), uint32(16777215)}},
		{"int unsigned", types.Uint32, []any{nil, uint32(0), uint32(1 << 31), uint32(math.MaxUint32)}},
		{"bigint unsigned", types.Uint64, []any{nil, uint64(0), uint64(1), uint64(1 << 63), uint64(math.MaxUint64)}},
		{"float", types.Float32, []any{nil, float32(math.Inf(-1)), -float32(math.MaxFloat32), float32(-1.5), -float32(math.SmallestNonzeroFloat32), float32(0), float32(math.Copysign(0, -1)), float32(math.SmallestNonzeroFloat32), float32(1.5), float32(math.MaxFloat32), float32(math.Inf(1))}},
		{"double", types.Float64, []any{nil, math.Inf(-1), -math.MaxFloat64, -1.5, -math.SmallestNonzeroFloat64, 0.0, math.Copysign(0, -1), math.SmallestNonzeroFloat64, 0.1, 1.5, math.MaxFloat64, math.Inf(1)}},
		{"decimal(65,30)", dec6530, []any{nil,
			dec("-99999999999999999999999999999999999.999999999999999999999999999999"),
			dec("-100"), dec("-99.5"), dec("-10"), dec("-1.5"), dec("-1.50"), dec("-1.05"), dec("-1"), dec("-0.12"), dec("-0.123"),
			dec("-0.000000000000000000000000000001"), dec("0"), dec("0.000"),
			dec("0.000000000000000000000000000001"), dec("0.12"), dec("0.123"), dec("0.2"), dec("1"), dec("1.00"), dec("1.05"), dec("1.5"), dec("1.50"),
			dec("9.99"), dec("10"), dec("10.000001"), dec("99.5"), dec("100"),
			dec("99999999999999999999999999999999999.999999999999999999999999999999")}},
		{"date", types.Date, []any{nil, utc(0, 1, 1, 0, 0, 0, 0), utc(1000, 1, 1, 0, 0, 0, 0), utc(1969, 12, 31, 0, 0, 0, 0), utc(1970, 1, 1, 0, 0, 0, 0), utc(9999, 12, 31, 0, 0, 0, 0)}},
		{"datetime(6)", dt6, []any{nil, utc(1000, 1, 1, 0, 0, 0, 0), utc(1969, 12, 31, 23, 59, 59, 999999), utc(1970, 1, 1, 0, 0, 0, 0), utc(1970, 1, 1, 0, 0, 0, 1), utc(2024, 2, 29, 12, 0, 0, 5), utc(9999, 12, 31, 23, 59, 59, 999999)}},
		{"timestamp(6)", ts6, []any{nil, utc(1970, 1, 1, 0, 0, 1, 0), utc(2038, 1, 19, 3, 14, 7, 999999)}},
		{"time", types.Time, []any{nil, types.Timespan(-838*3600e6 - 59*60e6 - 59e6), types.Timespan(-1), types.Timespan(0), types.Timespan(1), types.Timespan(838*3600e6 + 59*60e6 + 59e6)}},
		{"year", types.Year, []any{nil, int16(0), int16(1901), int16(2000), int16(2155)}},
		{"enum", enumT, []any{nil, uint16(1), uint16(2), uint16(3)}},
		{"set", setT, []any{nil, uint64(0), uint64(1), uint64(2), uint64(7)}},
		{"bit(64)", bit64, []any{nil, uint64(0), uint64(1), uint64(1 << 63), uint64(math.MaxUint64)}},
		{"varbinary", varbin, []any{nil, []byte{}, []byte{0}, []byte{0, 0}, []byte{0, 1}, []byte("a"), []byte("a\x00"), []byte("a\x00\x00"), []byte("a\x01"), []byte("ab"), []byte("b"), []byte{0xFF}, []byte{0xFF, 0xFF}}},
		{"binary(8)", binary8, []any{nil, []byte("\x00\x00"), []byte("abc"), []byte("abd")}},
		{"utf8mb4_0900_ai_ci", vcAICI, []any{nil, "", "\x00", "\x00\x00", " ", "a", "A", "a\x00", "a ", "a  ", "aa", "Ab", "ab", "b", "é", "z", "Z", "日本", "😀"}},
		{"utf8mb4_0900_bin", vcBin, []any{nil, "", "\x00", " ", "A", "B", "a", "a\x00", "a ", "ab", "b", "é", "日本", "😀"}},
		{"utf8mb4_general_ci", vcGeneral, []any{nil, "", "a", "A", "a ", "B", "é", "😀"}},
		{"latin1_swedish_ci char", charLatin, []any{nil, "", "a", "A", "ab", "z", "å", "ä", "ö"}},
		{"text", types.Text, []any{nil, "", "a", "b"}},
		{"blob", types.Blob, []any{nil, []byte{}, []byte{0}, []byte("x")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkOrder(t, tc.typ, tc.vals)
		})
	}
}

func TestKeyCollationEquality(t *testing.T) {
	require.Equal(t, mustKey(t, vcAICI, "A"), mustKey(t, vcAICI, "a"), "ai_ci folds case")
	require.Equal(t, mustKey(t, vcAICI, "É"), mustKey(t, vcAICI, "e"), "ai_ci folds accents")
	require.NotEqual(t, mustKey(t, vcBin, "A"), mustKey(t, vcBin, "a"), "_bin keeps case")
	// go-mysql-server's StringType.Compare does not pad: trailing spaces are
	// significant under PAD SPACE collations too, and so in keys.
	for _, typ := range []sql.Type{vcAICI, vcGeneral, charLatin, vcBin} {
		c, err := typ.Compare(tctx, "a", "a ")
		require.NoError(t, err)
		require.Equal(t, -1, c)
		require.Equal(t, -1, bytes.Compare(mustKey(t, typ, "a"), mustKey(t, typ, "a ")))
	}
}

func TestKeyPrefix(t *testing.T) {
	k1, err := AppendKey(nil, vcAICI, "Hello world", 5)
	require.NoError(t, err)
	require.Equal(t, mustKey(t, vcAICI, "hello"), k1)
	k2, err := AppendKey(nil, vcAICI, "日本語テキスト", 2)
	require.NoError(t, err)
	require.Equal(t, mustKey(t, vcAICI, "日本"), k2)
	k3, err := AppendKey(nil, varbin, []byte("abcdef"), 3)
	require.NoError(t, err)
	require.Equal(t, mustKey(t, varbin, []byte("abc")), k3)
	k4, err := AppendKey(nil, vcAICI, "ab", 5)
	require.NoError(t, err)
	require.Equal(t, mustKey(t, vcAICI, "ab"), k4)
}

func TestKeyConversion(t *testing.T) {
	cases := []struct {
		typ  sql.Type
		in   any
		want any
	}{
		{types.Int8, int64(5), int8(5)},
		{types.Int8, 5, int8(5)},
		{types.Int32, "5", int32(5)},
		{types.Int32, 5.0, int32(5)},
		{types.Int64, float32(-7), int64(-7)},
		{types.Uint64, "18446744073709551615", uint64(math.MaxUint64)},
		{types.Uint8, int64(255), uint8(255)},
		{types.Int16, dec("12.000"), int16(12)},
		{types.Float64, int64(3), float64(3)},
		{types.Float64, float32(1.5), float64(1.5)},
		{dec102, "1.5", dec("1.50")},
		{dec102, int64(2), dec("2")},
		{types.Year, int64(2024), int16(2024)},
		{enumT, "medium", uint16(2)},
		{setT, "a,c", uint64(5)},
		{types.Date, "2024-02-29", utc(2024, 2, 29, 0, 0, 0, 0)},
		{vcAICI, int64(42), "42"},
		{varbin, "raw", []byte("raw")},
	}
	for _, tc := range cases {
		got, err := AppendKey(nil, tc.typ, tc.in, 0)
		require.NoError(t, err, "%s %#v", tc.typ, tc.in)
		require.Equal(t, mustKey(t, tc.typ, tc.want), got, "%s %#v", tc.typ, tc.in)
	}
}

func TestKeyErrors(t *testing.T) {
	cases := []struct {
		typ  sql.Type
		in   any
		want error
	}{
		{types.Int8, int64(300), ErrOutOfRange},
		{types.Int8, int64(-129), ErrOutOfRange},
		{types.Int32, 5.5, ErrOutOfRange},
		{types.Int32, "5.5", ErrOutOfRange},
		{types.Int32, "abc", ErrOutOfRange},
		{types.Int32, math.NaN(), ErrOutOfRange},
		{types.Int64, uint64(math.MaxUint64), ErrOutOfRange},
		{types.Int64, "1e400", ErrOutOfRange},
		{types.Uint64, int64(-1), ErrOutOfRange},
		{types.Uint32, int64(1 << 32), ErrOutOfRange},
		{types.Uint24, uint32(1 << 24), ErrOutOfRange},
		{enumT, "huge", ErrOutOfRange},
		{vcAICI, "bad\xffutf8", ErrOutOfRange},
		{types.JSON, types.JSONDocument{Val: 1.0}, ErrNotIndexable},
		{types.PointType{}, types.Point{X: 1, Y: 2}, ErrNotIndexable},
		{types.GeometryType{}, types.Point{X: 1, Y: 2}, ErrNotIndexable},
	}
	for _, tc := range cases {
		dst := []byte("prefix")
		out, err := AppendKey(dst, tc.typ, tc.in, 0)
		require.ErrorIs(t, err, tc.want, "%s %#v", tc.typ, tc.in)
		require.Equal(t, "prefix", string(out))
	}
}

func TestDecimalScaleIndependent(t *testing.T) {
	pairs := [][2]string{{"1.5", "1.50"}, {"-1.5", "-1.500000"}, {"0", "0.000"}, {"100", "100.00"}, {"1e2", "100"}}
	for _, p := range pairs {
		require.Equal(t, mustKey(t, dec6530, dec(p[0])), mustKey(t, dec6530, dec(p[1])), "%s vs %s", p[0], p[1])
	}
}

// TestKeyOrderRandom compares key order with the oracle on random values.
func TestKeyOrderRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	randString := func(alphabet []rune) string {
		n := rng.Intn(6)
		var sb strings.Builder
		for i := 0; i < n; i++ {
			sb.WriteRune(alphabet[rng.Intn(len(alphabet))])
		}
		return sb.String()
	}
	alphabet := []rune("aAbB \x00éÉzZ日😀ßss")
	gens := []struct {
		typ sql.Type
		gen func() any
	}{
		{types.Int64, func() any { return int64(rng.Uint64()) }},
		{types.Int8, func() any { return int8(rng.Intn(256) - 128) }},
		{types.Uint64, func() any { return rng.Uint64() }},
		{types.Float64, func() any { return math.Float64frombits(rng.Uint64()&^(0x7FF<<52) | uint64(rng.Intn(2046)+1)<<52) }},
		{types.Float32, func() any { return float32(rng.NormFloat64() * 1e6) }},
		{dec6530, func() any {
			return decimal.New(rng.Int63n(2e12)-1e12, int32(rng.Intn(40)-30))
		}},
		{dt6, func() any {
			return time.UnixMicro(rng.Int63n(253402300799999999+62135596800000000) - 62135596800000000).UTC()
		}},
		{types.Time, func() any { return types.Timespan(rng.Int63n(2*3020399000000) - 3020399000000) }},
		{vcAICI, func() any { return randString(alphabet) }},
		{vcBin, func() any { return randString(alphabet) }},
		{vcGeneral, func() any { return randString(alphabet) }},
		{varbin, func() any {
			b := make([]byte, rng.Intn(5))
			for i := range b {
				b[i] = []byte{0, 1, 'a', 0xFF}[rng.Intn(4)]
			}
			return b
		}},
	}
	for _, g := range gens {
		t.Run(g.typ.String(), func(t *testing.T) {
			vals := make([]any, 200)
			for i := range vals {
				if i == 0 {
					continue // keep one NULL
				}
				vals[i] = g.gen()
			}
			checkOrder(t, g.typ, vals)
		})
	}
}

// TestCompositeKeyOrder checks that concatenated column keys sort like the
// tuples, and that SkipKey walks them.
func TestCompositeKeyOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	cols := []sql.Type{vcAICI, types.Int32, varbin, dec102}
	type tuple []any
	tuples := make([]tuple, 300)
	strs := []any{nil, "", "a", "A", "a\x00", "ab", "b"}
	bins := []any{nil, []byte{}, []byte{0}, []byte("a"), []byte("a\x00"), []byte("ab")}
	for i := range tuples {
		tuples[i] = tuple{strs[rng.Intn(len(strs))], []any{nil, int32(-1), int32(0), int32(7)}[rng.Intn(4)], bins[rng.Intn(len(bins))], []any{nil, dec("-1.5"), dec("0"), dec("1.5"), dec("15")}[rng.Intn(5)]}
	}
	cmpTuple := func(a, b tuple) int {
		for i, typ := range cols {
			if c := oracle(t, typ, a[i], b[i]); c != 0 {
				return oracle(t, typ, a[i], b[i])
			}
		}
		return 0
	}
	keys := make([][]byte, len(tuples))
	for i, tp := range tuples {
		var k []byte
		for c, typ := range cols {
			var err error
			k, err = AppendKey(k, typ, tp[c], 0)
			require.NoError(t, err)
		}
		keys[i] = k
		// SkipKey walks exactly len(cols) values.
		n := 0
		for rest := k; len(rest) > 0; n++ {
			l, err := SkipKey(rest)
			require.NoError(t, err)
			rest = rest[l:]
		}
		require.Equal(t, len(cols), n)
	}
	idx := make([]int, len(tuples))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return bytes.Compare(keys[idx[a]], keys[idx[b]]) < 0 })
	for i := 1; i < len(idx); i++ {
		a, b := tuples[idx[i-1]], tuples[idx[i]]
		want := cmpTuple(a, b)
		got := bytes.Compare(keys[idx[i-1]], keys[idx[i]])
		require.Equal(t, want, got, "%#v vs %#v", a, b)
	}
}

func TestSkipKeyCorrupt(t *testing.T) {
	good := mustKey(t, vcAICI, "hello")
	for _, b := range [][]byte{nil, {0x00}, {0xFF}, {tagIntBase + 8, 1, 2}, good[:len(good)-1], {tagBytes, 'a', 0x00, 0x07}, {tagBytes, 'a'}, {tagDecPos, 0x80}} {
		_, err := SkipKey(b)
		require.True(t, errors.Is(err, ErrCorrupt), "%x: %v", b, err)
	}
}
