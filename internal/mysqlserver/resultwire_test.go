package mysqlserver

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBinaryTemporalValues(t *testing.T) {
	cases := []struct {
		in   string
		time bool
		want []byte
	}{
		{"0000-00-00", false, []byte{0}},
		{"0000-00-00 00:00:00.000000", false, []byte{0}},
		{"2024-02-29", false, []byte{4, 0xe8, 0x07, 2, 29}},
		{"2024-02-29 01:02:03", false, []byte{7, 0xe8, 0x07, 2, 29, 1, 2, 3}},
		{"2024-02-29 01:02:03.5", false, []byte{11, 0xe8, 0x07, 2, 29, 1, 2, 3, 0x20, 0xa1, 0x07, 0}},
		{"00:00:00", true, []byte{0}},
		{"-838:59:59", true, []byte{8, 1, 34, 0, 0, 0, 22, 59, 59}},
		{"01:02:03.000004", true, []byte{12, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0}},
	}
	for _, tc := range cases {
		var got []byte
		var err error
		if tc.time {
			got, err = appendBinaryTime(nil, tc.in)
		} else {
			got, err = appendBinaryDatetime(nil, tc.in)
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	_, err := appendBinaryDatetime(nil, "garbage")
	require.Error(t, err)
}
