package mysqlserver

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRewriteProcedureDo(t *testing.T) {
	const do = "SELECT " + doComment
	cases := []struct{ in, want string }{
		// Outside blocks DO stays (do.go runs it).
		{"DO 1", "DO 1"},
		{"BEGIN; DO 1", "BEGIN; DO 1"},
		{"BEGIN WORK; DO 1; COMMIT", "BEGIN WORK; DO 1; COMMIT"},
		{"SELECT 'BEGIN DO'", "SELECT 'BEGIN DO'"},
		{"CREATE PROCEDURE p() BEGIN DO 1; SELECT 2; DO SLEEP(0), 3; END",
			"CREATE PROCEDURE p() BEGIN " + do + " 1; SELECT 2; " + do + " SLEEP(0), 3; END"},
		// WHILE ... DO's own DO is not a statement; the one after it is.
		{"CREATE PROCEDURE p() BEGIN WHILE i < 3 DO DO 1; SET i = i + 1; END WHILE; DO 2; END",
			"CREATE PROCEDURE p() BEGIN WHILE i < 3 DO " + do + " 1; SET i = i + 1; END WHILE; " + do + " 2; END"},
		{"CREATE PROCEDURE p() BEGIN IF x THEN DO 1; ELSE DO 2; END IF; END; DO 3",
			"CREATE PROCEDURE p() BEGIN IF x THEN " + do + " 1; ELSE " + do + " 2; END IF; END; DO 3"},
		// A CASE expression's END closes no block.
		{"CREATE PROCEDURE p() BEGIN SELECT CASE WHEN x THEN 1 END; DO 1; CASE x WHEN 1 THEN DO 2; END CASE; DO 3; END",
			"CREATE PROCEDURE p() BEGIN SELECT CASE WHEN x THEN 1 END; " + do + " 1; CASE x WHEN 1 THEN " + do + " 2; END CASE; " + do + " 3; END"},
		{"CREATE PROCEDURE p() BEGIN SELECT 'DO 1'; /* DO 2 */ END",
			"CREATE PROCEDURE p() BEGIN SELECT 'DO 1'; /* DO 2 */ END"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, rewriteProcedureDo(tc.in), tc.in)
		// Idempotent: a rewritten remainder may be parsed again.
		require.Equal(t, tc.want, rewriteProcedureDo(tc.want), tc.in)
	}
}

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
