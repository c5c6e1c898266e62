package mysqlserver

import (
	"strings"
	"sync"

	"github.com/dolthub/vitess/go/mysql"

	"github.com/guocedb/guocedb/internal/audit"
)

// auditor hands logins, logouts and statements to the audit log (nil:
// none). Logouts are recorded for connections whose login was: vitess
// reports every connection's end, refused ones included.
type auditor struct {
	log *audit.Log

	mu       sync.Mutex
	loggedIn map[uint32]bool
}

func newAuditor(l *audit.Log) *auditor {
	return &auditor{log: l, loggedIn: make(map[uint32]bool)}
}

// login records a login attempt; code is 0 or the MySQL error it got.
func (a *auditor) login(c *mysql.Conn, user, host string, code int) {
	if a == nil || a.log == nil {
		return
	}
	if code == 0 {
		a.mu.Lock()
		a.loggedIn[c.ConnectionID] = true
		a.mu.Unlock()
	}
	a.log.Record(audit.Record{Event: audit.EventConnect, ConnID: c.ConnectionID, User: user, Host: host, Status: code})
}

// logout records the end of a logged-in connection.
func (a *auditor) logout(c *mysql.Conn) {
	if a == nil || a.log == nil {
		return
	}
	a.mu.Lock()
	was := a.loggedIn[c.ConnectionID]
	delete(a.loggedIn, c.ConnectionID)
	a.mu.Unlock()
	if !was {
		return
	}
	db := ""
	if s := connSession(c); s != nil {
		db = s.GetCurrentDatabase()
	}
	a.log.Record(audit.Record{Event: audit.EventDisconnect, ConnID: c.ConnectionID, User: c.User,
		Host: remoteHost(c.RemoteAddr()), DB: db})
}

// statement records a finished statement of probe p (text without the
// rest of a multi-statement query) with its MySQL error code.
func (a *auditor) statement(p *stmtProbe, text string, code uint16) {
	if a == nil || a.log == nil {
		return
	}
	class := string(p.cmd.Class())
	user := p.c.User
	db := ""
	if p.sess != nil {
		user, db = p.sess.Client().User, p.sess.GetCurrentDatabase()
	}
	if !a.log.Wanted(audit.EventQuery, class, user) {
		return
	}
	a.log.Record(audit.Record{Event: audit.EventQuery, Class: class, ConnID: p.c.ConnectionID, User: user,
		Host: remoteHost(p.c.RemoteAddr()), DB: db, Status: int(code), Query: strings.TrimSpace(text)})
}
