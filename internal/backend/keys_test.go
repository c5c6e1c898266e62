package backend

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPrefixLengths(t *testing.T) {
	require.Len(t, rowPrefix(7), rowPrefixLen)
	require.Len(t, indexPrefix(7, 3), indexPrefixLen)
	require.Equal(t, []byte{0x01, 0x03}, prefixEnd([]byte{0x01, 0x02, 0xff}))
	require.Nil(t, prefixEnd([]byte{0xff, 0xff}))
}
