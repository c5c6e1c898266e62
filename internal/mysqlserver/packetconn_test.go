package mysqlserver

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPacketCounterAcrossWrites(t *testing.T) {
	// Two packets (payloads of 3 and 0 bytes), then one of 2, split
	// anywhere: every sequence byte is seen once, in order.
	stream := []byte{3, 0, 0, 7, 'a', 'b', 'c', 0, 0, 0, 8, 2, 0, 0, 9, 'x', 'y'}
	for cut := 0; cut <= len(stream); cut++ {
		var w packetCounter
		var seqs []byte
		for _, part := range [][]byte{stream[:cut], stream[cut:]} {
			w.walk(part, func(b *byte) { seqs = append(seqs, *b) })
		}
		require.Equal(t, []byte{7, 8, 9}, seqs, "cut at %d", cut)
		require.True(t, w.atBoundary())
	}
}
