package mysqlserver

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"

	"github.com/guocedb/guocedb/internal/metrics"
)

// killStmt matches KILL [QUERY | CONNECTION] id: the kind is group 1,
// the id group 2.
var killStmt = regexp.MustCompile(`(?is)^\s*KILL\s+(?:(QUERY|CONNECTION)\s+)?(\d+)\s*;?\s*$`)

// unknownThread returns MySQL's 1094 for a KILL of a connection id that
// does not exist; go-mysql-server v0.20.0 accepts any id silently. Only a
// statement whose command is KILL is matched (stmtclass.go).
func (h *handler) unknownThread(cmd metrics.Command, query string) error {
	if cmd != metrics.CommandKill {
		return nil
	}
	m := killStmt.FindStringSubmatch(query)
	if m == nil || h.connectionExists == nil {
		return nil
	}
	id, err := strconv.ParseUint(m[2], 10, 32)
	if err == nil && h.connectionExists(uint32(id)) {
		return nil
	}
	return mysql.NewSQLError(mysql.ERNoSuchThread, mysql.SSUnknownSQLState, "Unknown thread id: %s", m[2])
}

// killForwarded passes a KILL that succeeded here on to the leader when
// its target's session runs there (forward.go): the statement to stop
// runs on the leader, under the leader's id of that session. The KILL
// is sent as the target's own account, which may always kill its own
// connections; this node checked the killer's privilege already.
func (h *handler) killForwarded(ctx context.Context, cmd metrics.Command, query string) {
	if cmd != metrics.CommandKill || h.fwd == nil {
		return
	}
	m := killStmt.FindStringSubmatch(query)
	if m == nil {
		return
	}
	id, err := strconv.ParseUint(m[2], 10, 32)
	if err != nil {
		return
	}
	var target *mysql.Conn
	h.mu.Lock()
	for c := range h.conns {
		if c.ConnectionID == uint32(id) {
			target = c
		}
	}
	fs := h.fwdSessions[target]
	h.mu.Unlock()
	if fs == nil {
		return
	}
	u, ok := target.UserData.(sql.MysqlConnectionUser)
	if !ok {
		return
	}
	kind := "QUERY"
	if !strings.EqualFold(m[1], "QUERY") {
		kind = "CONNECTION"
	}
	conn, err := h.dialLeader(ctx, fs.addr, u, 0)
	if err != nil {
		h.obs.logger.Warn("kill of a forwarded session on the leader", "err", err, "conn_id", id)
		return
	}
	defer conn.Close()
	if _, err := conn.ExecuteFetch(fmt.Sprintf("KILL %s %d", kind, fs.conn.ConnectionID), 0, false); err != nil {
		h.obs.logger.Warn("kill of a forwarded session on the leader", "err", err, "conn_id", id)
	}
}
