package mysqlserver

import (
	"encoding/binary"
	"strings"

	"github.com/dolthub/vitess/go/mysql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// vitess parses COM_STMT_PREPARE itself before any handler sees it, and
// sends its parse error as 1105 "unknown error: Code: INVALID_ARGUMENT"
// (an internal error code, without the syntax error's text). A client
// preparing a wrong statement gets MySQL's 1064 with the position instead:
// packetConn remembers the last COM_STMT_PREPARE text, and when vitess
// answers it with that error packet, replaces the packet by the 1064 of
// parsing the text again (only on this error path), over TLS as without
// (packetConn sits above TLS).

// vitessUnknownError is how vitess' error packet for a non-MySQL error
// starts.
const vitessUnknownError = "unknown error: Code: "

// prepareSyntaxError returns the packet to send instead of pkt, one whole
// server packet (header included), when pkt is vitess' 1105 for a
// statement that does not parse; ok is false otherwise.
func prepareSyntaxError(pkt []byte, query string) ([]byte, bool) {
	if len(pkt) < 4+9 || pkt[4] != 0xff || query == "" {
		return nil, false
	}
	n := int(pkt[0]) | int(pkt[1])<<8 | int(pkt[2])<<16
	if n != len(pkt)-4 || binary.LittleEndian.Uint16(pkt[5:7]) != mysql.ERUnknownError {
		return nil, false
	}
	if !strings.HasPrefix(string(pkt[13:]), vitessUnknownError) {
		return nil, false
	}
	_, err := ast.Parse(query)
	if err == nil {
		return nil, false
	}
	msg := err.Error()
	payload := make([]byte, 0, 9+len(msg))
	payload = append(payload, 0xff)
	payload = binary.LittleEndian.AppendUint16(payload, mysql.ERParseError)
	payload = append(payload, '#')
	payload = append(payload, mysql.SSClientError...)
	payload = append(payload, msg...)
	if len(payload) >= maxPayload {
		return nil, false
	}
	out := []byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), pkt[3]}
	return append(out, payload...), true
}
