package backend

import (
	"fmt"
	"math"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/stretchr/testify/require"
)

// TestIntegerKeyMatchesDecimalPath checks integerBound's integer fast path
// (integerKey) against its decimal path, which a key's text form takes.
func TestIntegerKeyMatchesDecimalPath(t *testing.T) {
	typs := []sql.Type{types.Int8, types.Int16, types.Int24, types.Int32, types.Int64,
		types.Uint8, types.Uint16, types.Uint24, types.Uint32, types.Uint64}
	keys := []any{
		int8(0), int8(-1), int8(math.MinInt8), int8(math.MaxInt8), int16(math.MinInt16), int16(math.MaxInt16),
		int32(-1 << 23), int32(-1<<23 - 1), int32(1<<23 - 1), int32(1 << 23), int32(math.MinInt32), int32(math.MaxInt32),
		int64(math.MinInt64), int64(math.MaxInt64), int64(-5), int64(7), int(42), int(-42),
		uint8(255), uint16(math.MaxUint16), uint32(1<<24 - 1), uint32(1 << 24), uint32(math.MaxUint32),
		uint64(math.MaxInt64), uint64(math.MaxInt64) + 1, uint64(math.MaxUint64), uint(3), int64(128), int64(256), int64(-129),
	}
	for _, typ := range typs {
		for _, k := range keys {
			v, pos, frac, ok := integerBound(typ, k)
			wv, wpos, wfrac, wok := integerBound(typ, fmt.Sprint(k))
			require.Equal(t, wok, ok, "%s %T(%v)", typ, k, k)
			require.Equal(t, wpos, pos, "%s %T(%v)", typ, k, k)
			require.Equal(t, wfrac, frac, "%s %T(%v)", typ, k, k)
			require.Equal(t, wv, v, "%s %T(%v)", typ, k, k)
		}
	}
}
