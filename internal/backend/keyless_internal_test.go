package backend

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRowHashIsStable pins the lookup hash: stored lookup entries are keyed
// by it, so a different value for the same encoding would make every
// stored row of a keyless table unreachable (the format-1 bug). Changing it
// needs a migration.
func TestRowHashIsStable(t *testing.T) {
	require.Equal(t, uint64(0xef46db3751d8e999), rowHash(nil))
	require.Equal(t, uint64(0x44bc2cf5ad770999), rowHash([]byte("abc")))
}

func TestLookupKeyLayout(t *testing.T) {
	st := &tableState{def: &tableDef{ID: 42}}
	id := binary.BigEndian.AppendUint64(nil, 7)
	want := append(indexPrefix(42, lookupIndexID), 0, 0, 0, 0, 0, 0, 0, 9)
	want = append(want, id...)
	require.Equal(t, want, st.lookupKey(9, id))
	require.Len(t, st.lookupHashPrefix(9), indexPrefixLen+8)
	require.Equal(t, append(counterKey(42), 'r'), rowIDCounterKey(42))
}
