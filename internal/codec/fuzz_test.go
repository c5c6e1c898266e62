package codec

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/stretchr/testify/require"
)

// FuzzDecodeRow feeds arbitrary bytes to DecodeRow: it must return an error
// or a row that encodes back to the same bytes, and never panic.
func FuzzDecodeRow(f *testing.F) {
	seeds := []sql.Row{make(sql.Row, len(allTypesSchema))}
	for _, r := range seeds {
		b, err := EncodeRow(nil, allTypesSchema, r)
		require.NoError(f, err)
		f.Add(b)
	}
	b, err := EncodeRow(nil, benchSchema, benchRow)
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0x1d, 0xff, 0xff, 0xff, 0x1f})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, sch := range []sql.Schema{allTypesSchema, benchSchema} {
			row, err := DecodeRow(b, sch)
			if err != nil {
				continue
			}
			if _, err := EncodeRow(nil, sch, row); err != nil {
				t.Fatalf("decoded row does not re-encode: %v", err)
			}
		}
	})
}

// FuzzSkipKey feeds arbitrary bytes to SkipKey: it must return an error or
// a length within the input, and never panic.
func FuzzSkipKey(f *testing.F) {
	for _, v := range []any{"hello", "日本", ""} {
		f.Add(mustKey(f, vcAICI, v))
	}
	f.Add(mustKey(f, varbin, []byte("a\x00b")))
	f.Add(mustKey(f, dec6530, dec("-123.45")))
	f.Add(mustKey(f, dec6530, dec("6789.1")))
	f.Add(mustKey(f, dt6, utc(2024, 1, 1, 0, 0, 0, 0)))
	f.Add([]byte{tagNull})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := SkipKey(b)
		if err == nil && (n <= 0 || n > len(b)) {
			t.Fatalf("SkipKey returned %d for %d bytes", n, len(b))
		}
	})
}
