package mysqlserver

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRewriteRefresh(t *testing.T) {
	for _, tc := range []struct {
		options byte
		want    string
	}{
		{0x04, "FLUSH TABLES"},
		{0x01, "FLUSH PRIVILEGES"},
		{0x05, "FLUSH PRIVILEGES"},
		{0x10, "FLUSH TABLES"},
	} {
		got := rewriteClientCommand([]byte{2, 0, 0, 0, comRefresh, tc.options})
		n := 1 + len(tc.want)
		require.Equal(t, append([]byte{byte(n), 0, 0, 0, comQuery}, tc.want...), got)
	}
	// Not the first packet of a command: left alone.
	pkt := []byte{2, 0, 0, 1, comRefresh, 4}
	require.Equal(t, pkt, rewriteClientCommand(pkt))
}
