package mysqlserver

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// A forwarded statement's answer is read here rather than by vitess'
// ReadQueryResult, which drops the OK packet's info text ("Rows matched:
// 1  Changed: 1  Warnings: 0", "Records: 2  Duplicates: 0  Warnings: 1")
// and, in ExecuteFetchMulti, the warning count: both are what a client
// of the follower must see, as from a statement run there. The first
// packet is read here; a result set's column definitions too (vitess
// keeps its reader of them unexported), its rows by vitess'
// FetchQueryResult.

// relayedAnswer is one answer of the leader to a relayed statement.
type relayedAnswer struct {
	res      *sqltypes.Result
	status   uint16
	warnings uint16
}

// errMalformedAnswer reports a packet of the leader that does not parse:
// the connection to it is not usable any more (an unknown outcome).
var errMalformedAnswer = errors.New("malformed answer from the cluster's leader")

// readRelayed reads the leader's answer to a command on conn: an OK (with
// its info text), an error (a *mysql.SQLError the leader sent) or a
// result set of at most maxRows rows. An error that is not the leader's
// (the connection broke, a packet did not parse) has an unknown outcome.
func readRelayed(ctx context.Context, conn *mysql.Conn, maxRows int) (relayedAnswer, error) {
	data, err := conn.ReadPacket(ctx)
	if err != nil {
		return relayedAnswer{}, err
	}
	if len(data) == 0 {
		return relayedAnswer{}, errMalformedAnswer
	}
	switch data[0] {
	case mysql.OKPacket:
		return parseRelayedOK(data)
	case mysql.ErrPacket:
		return relayedAnswer{}, mysql.ParseErrorPacket(data)
	case 0xfb:
		// LOCAL INFILE: refused before it is relayed
		// (localLoadNotForwarded); the leader now waits for a file.
		return relayedAnswer{}, errors.New("the cluster's leader asked for a local file")
	}
	n, pos, ok := lenEncInt(data, 0)
	if !ok || pos != len(data) || n == 0 || n > 1<<16 {
		return relayedAnswer{}, errMalformedAnswer
	}
	fields := make([]*querypb.Field, n)
	for i := range fields {
		def, err := conn.ReadPacket(ctx)
		if err != nil {
			return relayedAnswer{}, err
		}
		if fields[i], ok = parseColumnDefinition(def); !ok {
			return relayedAnswer{}, errMalformedAnswer
		}
	}
	if conn.Capabilities&mysql.CapabilityClientDeprecateEOF == 0 {
		if _, err := conn.ReadPacket(ctx); err != nil { // the EOF after the columns
			return relayedAnswer{}, err
		}
	}
	res, status, warnings, err := conn.FetchQueryResult(ctx, maxRows, fields)
	if err != nil {
		return relayedAnswer{}, err
	}
	res.Fields = fields
	return relayedAnswer{res: res, status: uint16(status), warnings: warnings}, nil
}

// parseRelayedOK parses an OK packet of the leader. Its info text follows
// the warning count as vitess writes it: a '#', then the text to the end
// of the packet, padded with spaces (okinfo.go), which are dropped: the
// follower pads again for its own client.
func parseRelayedOK(data []byte) (relayedAnswer, error) {
	affected, pos, ok := lenEncInt(data, 1)
	if !ok {
		return relayedAnswer{}, errMalformedAnswer
	}
	insertID, pos, ok := lenEncInt(data, pos)
	if !ok || pos+4 > len(data) {
		return relayedAnswer{}, errMalformedAnswer
	}
	status := binary.LittleEndian.Uint16(data[pos:])
	warnings := binary.LittleEndian.Uint16(data[pos+2:])
	pos += 4
	var info string
	if pos < len(data) && data[pos] == '#' {
		info = strings.TrimRight(string(data[pos+1:]), " ")
	}
	return relayedAnswer{
		res:      &sqltypes.Result{RowsAffected: affected, InsertID: insertID, Info: info},
		status:   status,
		warnings: warnings,
	}, nil
}

// parseColumnDefinition parses Protocol::ColumnDefinition41 as vitess'
// client does (its flags only with a length or character set, the NUM
// flag added to numeric types), so that a relayed result's columns are
// written to the client as they were before (columnDefinition).
func parseColumnDefinition(p []byte) (*querypb.Field, bool) {
	var strs [6]string
	pos := 0
	for i := range strs {
		n, next, ok := lenEncInt(p, pos)
		if !ok || next+int(n) > len(p) {
			return nil, false
		}
		strs[i], pos = string(p[next:next+int(n)]), next+int(n)
	}
	// The fixed fields: a length byte (0x0c), character set (2),
	// column length (4), type (1), flags (2), decimals (1).
	if pos+1+2+4+1+2+1 > len(p) {
		return nil, false
	}
	pos++
	f := &querypb.Field{Database: strs[1], Table: strs[2], OrgTable: strs[3], Name: strs[4], OrgName: strs[5]}
	f.Charset = uint32(binary.LittleEndian.Uint16(p[pos:]))
	f.ColumnLength = binary.LittleEndian.Uint32(p[pos+2:])
	typ := p[pos+6]
	flags := binary.LittleEndian.Uint16(p[pos+7:])
	f.Decimals = uint32(p[pos+9])
	var err error
	if f.Type, err = sqltypes.MySQLToType(int64(typ), int64(flags)); err != nil {
		return nil, false
	}
	if f.ColumnLength != 0 || f.Charset != 0 {
		f.Flags = uint32(flags)
		if mysql.IsNum(typ) {
			f.Flags |= uint32(querypb.MySqlFlag_NUM_FLAG)
		}
	}
	return f, true
}

// lenEncInt reads a length-encoded integer at pos; next is the position
// after it.
func lenEncInt(p []byte, pos int) (n uint64, next int, ok bool) {
	if pos >= len(p) {
		return 0, 0, false
	}
	switch b := p[pos]; {
	case b < 0xfb:
		return uint64(b), pos + 1, true
	case b == 0xfc && pos+3 <= len(p):
		return uint64(binary.LittleEndian.Uint16(p[pos+1:])), pos + 3, true
	case b == 0xfd && pos+4 <= len(p):
		return uint64(p[pos+1]) | uint64(p[pos+2])<<8 | uint64(p[pos+3])<<16, pos + 4, true
	case b == 0xfe && pos+9 <= len(p):
		return binary.LittleEndian.Uint64(p[pos+1:]), pos + 9, true
	}
	return 0, 0, false
}
