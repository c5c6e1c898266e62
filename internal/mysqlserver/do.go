package mysqlserver

import (
	"context"
	"strings"
	"unicode"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/guocedb/guocedb/internal/sqltext"
)

// go-mysql-server v0.20.0 does not parse DO expr[, expr]... (drivers and
// connection pools use "DO 1" as a ping). guocedb runs a text DO as the
// SELECT of the same expressions, drops the rows, and answers OK, as MySQL
// does. vitess parses COM_STMT_PREPARE itself before any handler sees it,
// so a prepared DO is rewritten below vitess (packetConn) into the SELECT
// marked with doMarker; the handler prepares it without result columns
// and executes it as a DO, over TLS as without (packetConn sits above
// TLS). Inside a procedure body the parser
// rewrites DO the same way (parser.go, callresults.go).

// doMarker starts the SELECT a DO statement becomes. The comment is kept
// by the parser in the SELECT's comments, which is how the procedure
// interpreter's statements are recognised (callresults.go).
const (
	doComment = "/*guocedb:do*/"
	doMarker  = "SELECT " + doComment + " "
)

// Command bytes: COM_STMT_PREPARE; COM_REGISTER_SLAVE and
// COM_BINLOG_DUMP_GTID, which guocedb does not serve (it is no
// replication source); and one no MySQL version uses, which vitess
// answers with 1047.
const (
	comStmtPrepare     = 0x16
	comRegisterReplica = 0x15
	comBinlogDumpGTID  = 0x1e
	comUnknown         = 0xf0
)

// rewriteClientCommand turns commands vitess cannot run into ones it can
// (a whole packet, header included): a COM_STMT_PREPARE of a DO statement
// into one of its marked SELECT, one that would panic vitess's parser into
// text it parses (guardPreparedText), one with MySQL 8's locking clauses
// into its grammar's (preparedLockingText), a COM_REFRESH into its FLUSH
// statement (com_refresh.go). Only the first packet of a command
// (sequence id 0) is a command.
func rewriteClientCommand(pkt []byte) []byte {
	if len(pkt) >= 5 && len(pkt) <= 6 && pkt[3] == 0 && pkt[4] == comRefresh {
		return rewriteRefresh(pkt)
	}
	if len(pkt) >= 5 && pkt[3] == 0 && (pkt[4] == comRegisterReplica || pkt[4] == comBinlogDumpGTID) {
		// vitess hands these to a replication handler; without one it
		// answers nothing and leaves the packet unread, and its next read
		// panics (readEphemeralPacket). A command byte it does not know
		// gets MySQL's 1047 "Unknown command" and the session goes on.
		out := append([]byte(nil), pkt...)
		out[4] = comUnknown
		return out
	}
	if len(pkt) < 8 || pkt[3] != 0 || pkt[4] != comStmtPrepare {
		return pkt
	}
	n := int(pkt[0]) | int(pkt[1])<<8 | int(pkt[2])<<16
	if n == maxPayload { // split over several packets: leave it alone
		return pkt
	}
	text := string(pkt[5:])
	var query string
	if sel, ok := asDoSelect(text); ok {
		query = doMarker + strings.TrimPrefix(sel, "SELECT ")
	} else if query = preparedLockingText(guardPreparedText(text)); query == text {
		return pkt
	}
	n = 1 + len(query)
	if n >= maxPayload {
		return pkt
	}
	out := make([]byte, 0, 4+n)
	out = append(out, byte(n), byte(n>>8), byte(n>>16), 0, comStmtPrepare)
	return append(out, query...)
}

// isPreparedDo reports whether a prepared statement's text is a DO
// rewritten by rewriteClientCommand.
func isPreparedDo(stmt string) bool { return strings.HasPrefix(stmt, doMarker) }

// asDoSelect returns the SELECT that evaluates a DO statement's
// expressions, and whether stmt is a DO statement.
func asDoSelect(stmt string) (string, bool) {
	s := strings.TrimLeftFunc(stmt, unicode.IsSpace)
	if len(s) < 3 || !strings.EqualFold(s[:2], "do") {
		return "", false
	}
	if r := rune(s[2]); !unicode.IsSpace(r) && r != '(' {
		return "", false
	}
	return "SELECT " + s[2:], true
}

// discardRows is a result callback that keeps nothing.
func discardRows(*sqltypes.Result, bool) error { return nil }

// sendOK answers a statement without a result set.
func sendOK(callback mysql.ResultSpoolFn, more bool) error {
	return callback(&sqltypes.Result{}, more)
}

// doQuery runs the DO statement first of query (single or multi) and
// returns the rest of a multi-statement query.
func (h *handler) doQuery(ctx context.Context, c *mysql.Conn, query string, st *sqltext.Statement, multi bool, callback mysql.ResultSpoolFn) (string, bool, error) {
	// The first statement starts where query does: a query that does not
	// start with DO is not split (this runs for every query of a client
	// with multi-statements on). The classification's first word gates
	// the check of the text (which admits no comment before DO).
	if !strings.EqualFold(st.Word(0), "do") {
		return "", false, nil
	}
	if _, ok := asDoSelect(query); !ok {
		return "", false, nil
	}
	first, rest := query, ""
	if multi {
		var err error
		if first, rest, err = sqlparser.SplitStatement(query); err != nil {
			return "", false, nil // let go-mysql-server report the syntax error
		}
		rest = strings.TrimSpace(rest)
	}
	sel, ok := asDoSelect(first)
	if !ok {
		return "", false, nil
	}
	if err := h.Handler.ComQuery(ctx, c, sel, discardRows); err != nil {
		return "", true, err
	}
	return rest, true, sendOK(callback, rest != "")
}

// execPreparedDo executes a prepared DO: its SELECT's rows are dropped and
// the client gets an OK. Like a text DO it makes an open transaction
// unreplayable (replay.go).
func (h *handler) execPreparedDo(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	h.untracked(c)
	if err := h.Handler.ComStmtExecute(ctx, c, prepare, func(*sqltypes.Result) error { return nil }); err != nil {
		return err
	}
	return callback(&sqltypes.Result{})
}
