package mysqlserver

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/dolthub/vitess/go/mysql"
)

// PanicMessage is the log message of every panic guocedb's handler
// catches, and the text tests look for (a caught panic is a bug: see
// internal/testutil). vitess' own recovery logs "mysql_server caught
// panic" through logrus, which contains it too.
const PanicMessage = "caught panic"

// gmsPanicText is how go-mysql-server's handler reports a panic it
// recovered while reading rows: as a query error.
const gmsPanicText = "handler caught panic"

// recoverCommand turns a panic in a command into error 1105 for the
// client and one error-level log line, instead of vitess' recovery,
// which drops the connection. A panic go-mysql-server already turned into
// an error is logged the same way. Use as defer h.recoverCommand(c, &err).
func (h *handler) recoverCommand(c *mysql.Conn, err *error) {
	if r := recover(); r != nil {
		h.logPanic(c, fmt.Sprint(r), string(debug.Stack()))
		*err = mysql.NewSQLError(mysql.ERUnknownError, mysql.SSUnknownSQLState, "internal error: %v", r)
		return
	}
	if *err != nil && strings.Contains((*err).Error(), gmsPanicText) {
		h.logPanic(c, (*err).Error(), "")
	}
}

func (h *handler) logPanic(c *mysql.Conn, msg, stack string) {
	if h.obs == nil || h.obs.logger == nil {
		return
	}
	h.obs.logger.Error(PanicMessage, "conn_id", c.ConnectionID, "panic", msg, "stack", stack)
}
