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
// starts; vitessErrorCode follows it when the error carries one of
// vitess' internal codes.
const (
	vitessUnknownError = "unknown error: "
	vitessErrorCode    = "Code: "
)

// prepareSyntaxError returns the packet to send instead of pkt, one whole
// server packet (header included), when pkt is vitess' 1105 "unknown
// error" answer to a COM_STMT_PREPARE; ok is false otherwise. A statement
// that does not parse gets 1064 with the parser's message, and so does a
// text of several statements (vitess: "cannot prepare multiple
// statements"; MySQL: 1064). Any other such error keeps 1105 with its
// message alone, without vitess' "unknown error: Code: ..." lines.
func prepareSyntaxError(pkt []byte, query string) ([]byte, bool) {
	if len(pkt) < 4+9 || pkt[4] != 0xff || query == "" {
		return nil, false
	}
	n := int(pkt[0]) | int(pkt[1])<<8 | int(pkt[2])<<16
	if n != len(pkt)-4 || binary.LittleEndian.Uint16(pkt[5:7]) != mysql.ERUnknownError {
		return nil, false
	}
	text, ok := strings.CutPrefix(string(pkt[13:]), vitessUnknownError)
	if !ok {
		return nil, false
	}
	code, state, msg := uint16(mysql.ERParseError), mysql.SSClientError, ""
	if _, err := ast.Parse(query); err != nil {
		msg = err.Error()
		if unsupportedStatement(query, err) == errRoutinePrepared {
			code, state, msg = uint16(errRoutinePrepared.Num), errRoutinePrepared.State, errRoutinePrepared.Message
		}
	} else if strings.Contains(text, "cannot prepare multiple statements") {
		msg = "You have an error in your SQL syntax: a prepared statement is one statement"
	} else if rest, coded := strings.CutPrefix(text, vitessErrorCode); coded {
		// "Code: INVALID_ARGUMENT\n<message>": the message alone.
		_, msg, _ = strings.Cut(rest, "\n")
		msg = strings.TrimSpace(msg)
		code, state = mysql.ERUnknownError, mysql.SSUnknownSQLState
	} else {
		return nil, false
	}
	payload := make([]byte, 0, 9+len(msg))
	payload = append(payload, 0xff)
	payload = binary.LittleEndian.AppendUint16(payload, code)
	payload = append(payload, '#')
	payload = append(payload, state...)
	payload = append(payload, msg...)
	if len(payload) >= maxPayload {
		return nil, false
	}
	out := []byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), pkt[3]}
	return append(out, payload...), true
}
