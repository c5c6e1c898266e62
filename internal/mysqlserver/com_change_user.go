package mysqlserver

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
)

// COM_CHANGE_USER (mysql_change_user() of the C API; connection pools of
// C-based drivers use it to hand a connection to another account) is a
// command vitess does not implement: it answered 1047. Below vitess
// packetConn keeps the scramble of the connection's handshake and the
// command's payload, and hands vitess a COM_QUERY of changeUserMarker
// instead; the handler sees the marker, checks the password against the
// scramble (mysql_native_password, as MySQL's change-user of such an
// account does), and gives the connection a fresh session of the new
// user, database and character set, as MySQL does: temporary tables,
// user variables, prepared statements and an open transaction (rolled
// back) of the old session are gone. A wrong password is 1045.
//
// The marker alone changes nothing: the handler acts only when packetConn
// has a change-user payload pending, so a client cannot pick the scramble.
// The same over TLS: packetConn sits above TLS (packetconn_tls.go).

// comChangeUser is the command byte of COM_CHANGE_USER.
const comChangeUser = 0x11

// changeUserMarker is the query vitess runs for a COM_CHANGE_USER.
const changeUserMarker = "/*guocedb:change_user*/ SELECT 1"

// scrambleOf returns the 20-byte scramble of a server's HandshakeV10
// packet (header included), or nil.
func scrambleOf(pkt []byte) []byte {
	if len(pkt) < 5 || pkt[4] != 10 {
		return nil
	}
	p := pkt[5:]
	end := bytes.IndexByte(p, 0) // server version
	if end < 0 || len(p) < end+1+4+8+1+2+1+2+2+1+10 {
		return nil
	}
	p = p[end+1+4:]
	salt := append([]byte(nil), p[:8]...)
	p = p[8+1+2+1+2+2+1+10:]
	rest := bytes.IndexByte(p, 0)
	if rest < 0 {
		rest = min(len(p), 12)
	}
	return append(salt, p[:rest]...)
}

// changeUserRequest is a parsed COM_CHANGE_USER payload.
type changeUserRequest struct {
	user, db string
	auth     []byte
	charset  uint8
}

// parseChangeUser reads the payload after the command byte (the client
// has CLIENT_SECURE_CONNECTION and CLIENT_PLUGIN_AUTH, as every current
// library does).
func parseChangeUser(p []byte) (changeUserRequest, bool) {
	var r changeUserRequest
	i := bytes.IndexByte(p, 0)
	if i < 0 {
		return r, false
	}
	r.user, p = string(p[:i]), p[i+1:]
	if len(p) < 1 || len(p) < 1+int(p[0]) {
		return r, false
	}
	r.auth, p = append([]byte(nil), p[1:1+int(p[0])]...), p[1+int(p[0]):]
	i = bytes.IndexByte(p, 0)
	if i < 0 {
		return r, false
	}
	r.db, p = string(p[:i]), p[i+1:]
	if len(p) >= 2 {
		r.charset = uint8(binary.LittleEndian.Uint16(p[:2]))
	}
	return r, true
}

// takeChangeUser returns the change-user payload and the handshake
// scramble of c's packetConn when a COM_CHANGE_USER is pending.
func takeChangeUser(c *mysql.Conn) (payload, scramble []byte, ok bool) {
	pc, isPC := c.Conn.(*packetConn)
	if !isPC {
		return nil, nil, false
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	payload, pc.changeUser = pc.changeUser, nil
	return payload, pc.scramble, payload != nil
}

// changeUser runs a pending COM_CHANGE_USER of c when query is its marker.
// ok is false for any other query.
func (h *handler) changeUser(c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (bool, error) {
	if !strings.HasPrefix(query, changeUserMarker) {
		return false, nil
	}
	payload, scramble, ok := takeChangeUser(c)
	if !ok {
		return false, nil
	}
	req, ok := parseChangeUser(payload)
	if !ok || h.users == nil {
		return true, mysql.NewSQLError(mysql.ERAccessDeniedError, mysql.SSAccessDeniedError, "Access denied")
	}
	user, err := h.users.ValidateHash(scramble, req.user, req.auth, c.RemoteAddr())
	if err != nil {
		return true, mysql.NewSQLError(mysql.ERAccessDeniedError, mysql.SSAccessDeniedError,
			"Access denied for user '%s'@'%s' (using password: %s)", req.user, accountHost(c), yesNo(len(req.auth) > 0))
	}
	u, _ := user.(sql.MysqlConnectionUser)
	c.User, c.UserData = u.User, u
	if req.charset != 0 {
		c.CharacterSet = req.charset
	}
	h.forget(c)
	if err := h.Handler.ComResetConnection(c); err != nil {
		return true, err
	}
	// "" selects no database, as a change-user without one does.
	if err := h.Handler.ComInitDB(c, req.db); err != nil {
		return true, err
	}
	h.setReady(c)
	return true, sendOK(callback, false)
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

// accountHost is the host of the account the connection logged in as.
func accountHost(c *mysql.Conn) string {
	if u, ok := c.UserData.(sql.MysqlConnectionUser); ok {
		return u.Host
	}
	return "%"
}
