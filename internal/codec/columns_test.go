package codec

import (
	"fmt"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/stretchr/testify/require"
)

// TestDecodeColumns: decoding selected columns gives what decoding the
// whole row and projecting it gives, for every single column, subsets
// in and out of schema order, repeated columns and none.
func TestDecodeColumns(t *testing.T) {
	n := len(allTypesSchema)
	var selections [][]int
	for o := 0; o < n; o++ {
		selections = append(selections, []int{o})
	}
	all, reversed := make([]int, n), make([]int, n)
	for o := range all {
		all[o], reversed[n-1-o] = o, o
	}
	selections = append(selections, all, reversed, []int{21, 3}, []int{0, 0, 12}, []int{24, 12, 24, 1}, []int{})
	for i, row := range roundTripRows() {
		b, err := EncodeRow(nil, allTypesSchema, row)
		require.NoError(t, err)
		full, err := DecodeRow(b, allTypesSchema)
		require.NoError(t, err)
		for _, ords := range selections {
			t.Run(fmt.Sprintf("row%d/%v", i, ords), func(t *testing.T) {
				cols := NewColumns(n, ords)
				require.NotNil(t, cols)
				got, err := DecodeColumns(b, allTypesSchema, cols)
				require.NoError(t, err)
				want := make(sql.Row, len(ords))
				for j, o := range ords {
					want[j] = full[o]
				}
				requireRowEqual(t, want, got)
				// A truncated row is an error as long as it cuts a
				// column that is read (the last selected one or before).
				for cut := 0; cut < len(b); cut++ {
					got, err := DecodeColumns(b[:cut], allTypesSchema, cols)
					if err == nil {
						requireRowEqual(t, want, got)
					}
				}
			})
		}
	}
	require.Nil(t, NewColumns(n, []int{n}), "an ordinal past the schema")
	require.Nil(t, NewColumns(n, []int{-1}))
	_, err := DecodeColumns([]byte{1, 0}, allTypesSchema[:1], NewColumns(2, []int{0}))
	require.Error(t, err, "a selection made for another schema")
}

// TestDecodeColumnsDoesNotAlias: the decoded values own their bytes (the
// scan reuses its value buffer for the next row).
func TestDecodeColumnsDoesNotAlias(t *testing.T) {
	sch := sql.Schema{col("a", vcAICI), col("b", varbin), col("c", vcBin)}
	b, err := EncodeRow(nil, sch, sql.Row{"hello", []byte("bytes"), "world"})
	require.NoError(t, err)
	got, err := DecodeColumns(b, sch, NewColumns(3, []int{2, 1}))
	require.NoError(t, err)
	for i := range b {
		b[i] = 0xAA
	}
	require.Equal(t, "world", got[0])
	require.Equal(t, []byte("bytes"), got[1])
}
