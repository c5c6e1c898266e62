package mysqlserver

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
)

// Server status flags of OK and EOF packets that go-mysql-server v0.20.0
// does not maintain. C clients read them from MYSQL.server_status:
// libmariadb's mysql_real_escape_string escapes quotes by doubling them
// when SERVER_STATUS_NO_BACKSLASH_ESCAPES is set, and connection pools
// check SERVER_STATUS_AUTOCOMMIT after connecting.

// serverStatusNoBackslashEscapes is SERVER_STATUS_NO_BACKSLASH_ESCAPES.
const serverStatusNoBackslashEscapes = 0x0200

// initialStatusFlags sets the flags of the handshake (vitess reads
// c.StatusFlags then): autocommit as @@global.autocommit says, as
// go-mysql-server sets it only after a connection's first statement.
func initialStatusFlags(c *mysql.Conn) {
	on := true
	if _, v, ok := sql.SystemVariables.GetGlobal("autocommit"); ok {
		switch x := v.(type) {
		case int8:
			on = x != 0
		case int64:
			on = x != 0
		case bool:
			on = x
		}
	}
	if on {
		c.StatusFlags |= mysql.ServerStatusAutocommit
	}
}

// sqlModeStatusFlags sets SERVER_STATUS_NO_BACKSLASH_ESCAPES after a
// command from the session's sql_mode, before vitess writes the command's
// final OK or EOF.
func sqlModeStatusFlags(c *mysql.Conn) {
	s := connSession(c)
	if s == nil {
		return
	}
	v, err := s.GetSessionVariable(nil, "sql_mode")
	mode, _ := v.(string)
	if err == nil && strings.Contains(strings.ToUpper(mode), "NO_BACKSLASH_ESCAPES") {
		c.StatusFlags |= serverStatusNoBackslashEscapes
	} else {
		c.StatusFlags &^= serverStatusNoBackslashEscapes
	}
}

// endCommand is what every command that runs a statement does last.
func endCommand(c *mysql.Conn) {
	resetStatementDatabase(c)
	sqlModeStatusFlags(c)
}

// withStatusFlags wraps a result callback of c: vitess writes an OK packet
// with the status flags from inside the callback, so a SET sql_mode must
// show in its own OK.
func withStatusFlags(c *mysql.Conn, cb mysql.ResultSpoolFn) mysql.ResultSpoolFn {
	return func(r *sqltypes.Result, more bool) error {
		sqlModeStatusFlags(c)
		return cb(r, more)
	}
}
